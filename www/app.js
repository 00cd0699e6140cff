// llmtrends: a figure the page was sent once is not sent again (see modules/common.py,
// _plot_img). A plot output's value is an <img> with its figure in full (a data: URI), or,
// for a figure this page was sent before, only its key and a data-reuse mark. Here every
// figure received is kept, per output, and a data-reuse image gets its figure back before
// Shiny draws it. The server counts on the last PAGE_KEEPS (12) figures of each output;
// this keeps 16, least recently used dropped first. A figure missing all the same is
// asked for again through the input "<output id>_missing", and the output keeps showing its
// previous figure (greyed, recalculating) until it arrives.
//
// This rewrites Shiny's "shiny:value" messages, so it checks that Shiny works as expected:
// the server sends an output only figures in full until this says "<output id>_reuse" =
// true, which it does once it kept a full figure of that output, found it drawn in the
// output (Shiny draws the value its event handlers saw) and found Shiny.setInputValue.
// Otherwise nothing is changed: figures keep coming in full. The server leaves this
// script out with LLMTRENDS_SPEEDUPS=0.
(function () {
  "use strict";
  if (!window.jQuery) {
    if (window.console) console.warn("llmtrends: no jQuery; figures are sent in full");
    return;
  }
  var KEEP = 16; // per output: more than modules/common.py's PAGE_KEEPS (12)
  var CHECKS = 40, CHECK_MS = 50; // how long to look for a kept figure drawn by Shiny (2 s)
  var kept = {}; // output id -> Map(figure key -> data: URI), least recently used first
  var reusing = {}; // output id -> true once the server was told it may send keys alone
  var KEY = /data-key="(\d+)"/;
  var SRC = /src="(data:image\/png;base64,[A-Za-z0-9+\/=]*)"/;
  var REUSE = / data-reuse="1"/;

  function keep(id, key, uri) {
    var figures = kept[id] || (kept[id] = new Map());
    figures.delete(key); // a key kept again moves to the most recent end
    figures.set(key, uri);
    while (figures.size > KEEP) figures.delete(figures.keys().next().value);
  }

  // Tell the server this output may get keys alone, once Shiny drew the figure we kept.
  function sayReuse(id, key, uri, checks) {
    if (reusing[id]) return;
    var el = document.getElementById(id);
    var img = el && el.querySelector('img.llmtrends-plot[data-key="' + key + '"]');
    if (img && img.getAttribute("src") === uri && window.Shiny && typeof Shiny.setInputValue === "function") {
      reusing[id] = true;
      Shiny.setInputValue(id + "_reuse", true);
    } else if (checks > 0) {
      setTimeout(function () { sayReuse(id, key, uri, checks - 1); }, CHECK_MS);
    }
  }

  // For tests and debugging: drop every figure kept; the page then asks for them again.
  window.llmtrends = { forgetFigures: function () { kept = {}; } };

  jQuery(document).on("shiny:value", function (event) {
    var value = event.value;
    if (!value || typeof value.html !== "string" || value.html.indexOf("llmtrends-plot") < 0) return;
    var key = KEY.exec(value.html);
    if (!key) return;
    if (!REUSE.test(value.html)) {
      var src = SRC.exec(value.html);
      if (src) {
        keep(event.name, key[1], src[1]);
        setTimeout(function () { sayReuse(event.name, key[1], src[1], CHECKS); }, 0);
      }
      return;
    }
    var figures = kept[event.name];
    var uri = figures && figures.get(key[1]);
    if (uri) {
      keep(event.name, key[1], uri);
      // changed in place: Shiny keeps this very object as the output's value
      value.html = value.html.replace(REUSE, function () { return ' src="' + uri + '"'; });
    } else {
      event.preventDefault(); // keep showing the previous figure until the full one arrives
      Shiny.setInputValue(event.name + "_missing", key[1], { priority: "event" });
    }
  });
})();
