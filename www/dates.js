// llmtrends: dates typed into a date range. Shiny's picker (bootstrap-datepicker) reads the
// text at every key: half a date reaches the server as no date (the plots gave way to an
// error), a date outside the board is dropped and the range jumps to the board's last day,
// and a word becomes today. Here the text is read first:
// - while it is not a whole date (YYYY-MM-DD) the picker does not read it, so it keeps its
//   last date and the plots stay as they are;
// - a date before the board's first day or after its last is moved to that day, and said so;
// - on Enter, Tab or leaving the field, text that is no date is put back to the picker's
//   last date, and said so.
// A range a link brings that lies outside the board is moved inside it the same way.
(function () {
  "use strict";
  var ISO = /^\d{4}-\d{2}-\d{2}$/;

  function rangeOf(el) {
    return el && el.tagName === "INPUT" ? jQuery(el).closest(".shiny-date-range-input") : jQuery();
  }

  function day(text) { // a whole, real date, or null
    if (!ISO.test(text)) return null;
    var d = new Date(text + "T00:00:00Z");
    return !isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text ? text : null;
  }

  function bounds($range) { // the board's first and last days (the picker's min and max)
    var $inputs = $range.find("input");
    return [$inputs.eq(0).attr("data-min-date") || null, $inputs.eq(1).attr("data-max-date") || null];
  }

  function say($range, text) {
    var $note = $range.find(".llmtrends-date-note");
    if (!$note.length) {
      $note = jQuery('<div class="llmtrends-date-note form-text text-warning small" role="status"></div>')
        .appendTo($range);
    }
    $note.text(text || "").toggle(!!text);
  }

  function clamped($range, value, label) { // [the day to use, what to say about it]
    var b = bounds($range);
    if (b[0] && value < b[0]) return [b[0], value + " is before the board's first day: " + label + " " + b[0] + "."];
    if (b[1] && value > b[1]) return [b[1], value + " is after the board's last day: " + label + " " + b[1] + "."];
    return [value, ""];
  }

  function label(el) {
    return jQuery(el).index() === 0 ? "the range starts on" : "the range ends on";
  }

  function lastDate(el) { // the picker's own date, as text (null when it has none)
    var d = jQuery(el).bsDatepicker("getUTCDate");
    return d && !isNaN(d.getTime()) ? d.toISOString().slice(0, 10) : null;
  }

  // every key: whole dates go to the picker (moved inside the board), half ones do not
  document.addEventListener("keyup", function (event) {
    var el = event.target, $range = rangeOf(el);
    if (!$range.length || ["Enter", "Tab", "Escape"].indexOf(event.key) >= 0) return;
    var value = day(el.value.trim());
    if (value === null) {
      event.stopPropagation(); // the picker keeps its last date
      return;
    }
    var use = clamped($range, value, label(el));
    if (use[0] !== value) el.value = use[0];
    say($range, use[1]);
  }, true);

  // done typing: text that is no date goes back to the picker's last date
  function settle(el) {
    var $range = rangeOf(el);
    if (!$range.length) return;
    var text = el.value.trim();
    if (text === "" || day(text) !== null) return;
    var last = lastDate(el);
    if (last === null) return;
    el.value = last;
    say($range, "\u201c" + text.slice(0, 20) + "\u201d is not a date (YYYY-MM-DD): " + label(el) + " " + last + ".");
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" || event.key === "Tab") settle(event.target);
  }, true);
  document.addEventListener("mousedown", function () { settle(document.activeElement); }, true);
  document.addEventListener("focusout", function (event) { settle(event.target); }, true);

  // a range drawn with days outside the board (a link's): the picker cleared them
  jQuery(document).on("shiny:bound", function (event) {
    var $range = jQuery(event.target);
    if (!$range.hasClass("shiny-date-range-input")) return;
    $range.find("input").each(function () {
      var value = day(String(jQuery(this).attr("data-initial-date") || ""));
      if (value === null) return;
      var use = clamped($range, value, label(this));
      if (use[0] === value) return;
      jQuery(this).bsDatepicker("setUTCDate", new Date(use[0] + "T00:00:00Z"));
      say($range, use[1]);
    });
  });
})();
