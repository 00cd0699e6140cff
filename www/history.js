// llmtrends: the view in the page's address. Shiny's bookmarking writes the tab, the board
// and the open tab's controls into the address (modules/links.py, remember_views). This
// file tells the server when they may have changed (after a quarter of a second without
// another change, so one step is one entry) and whether a person changed them: a step of
// theirs becomes a new history entry, a change the page makes itself (controls drawn for
// another board, the grid's own filters) corrects the entry in place. The browser's back
// and forward buttons then load the entry's address, which Shiny draws as it was.
(function () {
  "use strict";
  var WAIT_MS = 250;
  // inputs of a tab that are not part of its address (as NOT_IN_LINKS in modules/links.py)
  var NOT_IN_LINKS = new RegExp("-(controls_board|grid_cell_selection|grid_data_view_indices|grid_data_view_rows|" +
                                "grid_filter|grid_selected_rows|grid_sort)$");
  var timer = null;
  var userActed = false;

  ["change", "input", "click", "keyup"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.isTrusted) userActed = true; // a person, not a script or the server
    }, true);
  });

  function inLink(name) {
    if (name === "tab" || name === "board") return true;
    var tab = window.Shiny && Shiny.shinyapp && Shiny.shinyapp.$inputValues.tab;
    return !!tab && name.indexOf(tab + "-") === 0 && !NOT_IN_LINKS.test(name);
  }

  function send() {
    timer = null;
    Shiny.setInputValue("llmtrends_state", { search: window.location.search, user: userActed },
                        { priority: "event" });
    userActed = false;
  }

  jQuery(document).on("shiny:inputchanged", function (event) {
    if (!inLink(String(event.name).split(":")[0])) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(send, WAIT_MS);
  });

  // back or forward: the entry's address holds its view, drawn as a page loads one
  window.addEventListener("popstate", function () { window.location.reload(); });
})();
