// Page helpers for the llmtrends browser tests (installed with page.add_init_script).
// Everything reads the DOM of one view's tab pane; a view's inputs and outputs all have
// ids "<view_id>-<name>" (Shiny module namespace).
window.__llm = {
  messages: 0,  // messages received from the server since install()
  installed: false,

  pings: 0,
  pongSeen: true,
  busySincePing: false,

  install() {
    if (this.installed || !window.jQuery) return this.installed;
    jQuery(document).on("shiny:message", (e) => {
      this.messages += 1;
      const m = e.message || {};
      if (m.busy === "busy") this.busySincePing = true;
      if ("values" in m) this.pongSeen = true;
    });
    this.installed = true;
    return true;
  },

  // A round trip through the server: the answer to this input comes after the answers
  // to every input the page sent before it (one websocket, processed in order).
  ping() {
    this.pings += 1;
    this.pongSeen = false;
    this.busySincePing = false;
    Shiny.setInputValue("llmtests_ping", this.pings, { priority: "event" });
    return this.pings;
  },

  hash(s) {  // FNV-1a: a short, stable signature of a long text
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return (h >>> 0).toString(16) + ":" + s.length;
  },

  pane(view) {
    const link = document.querySelector(`a[data-value="${view}"]`);
    return link ? document.querySelector(link.getAttribute("href")) : null;
  },

  // The view's drawn outputs: its plots ("<view>-plot_<figure>") and data grids.
  plotBoxes(view) {
    const p = this.pane(view);
    return p ? [...p.querySelectorAll(`[id^="${view}-plot_"], shiny-data-frame[id^="${view}-"]`)] : [];
  },

  isGrid(b) {
    return b.tagName === "SHINY-DATA-FRAME";
  },

  gridReady(b) {
    return !!b.querySelector("table tbody tr");
  },

  // What the view currently shows: one part per output (image hash, grid text, message or empty).
  sig(view) {
    // a friendly message with no plot beside it stands for the whole view (the explorer
    // shows it beside an empty grid, plot views in the first plot's place); beside plots it
    // is one figure's (it alone has nothing to draw) and counts as that figure's part
    const p = this.pane(view);
    const msgs = p ? [...p.querySelectorAll(".llmtrends-message")] : [];
    if (msgs.length && !p.querySelector("img.llmtrends-plot")) {
      return "msg:" + msgs.map((m) => m.textContent.trim()).join("|");
    }
    return this.plotBoxes(view).map((b) => {
      // a grid shows only its first rows: add the "n of N models shown" provenance line
      if (this.isGrid(b)) {
        const prov = document.getElementById(`${view}-provenance`);
        return this.gridReady(b) ? "grid:" + this.hash(b.innerText + (prov ? prov.innerText : "")) : "empty";
      }
      const img = b.querySelector("img.llmtrends-plot");
      const msg = b.querySelector(".llmtrends-message");
      if (img) return "img:" + this.hash(img.getAttribute("src") || "");
      if (msg) return "msg:" + msg.textContent.trim();
      return "empty";
    }).join("|");
  },

  // The view is drawn and idle: nothing recalculating, every plot is an image, or a
  // friendly message stands in for them.
  settled(view) {
    const p = this.pane(view);
    if (!p || document.documentElement.classList.contains("shiny-busy")) return false;
    // (only the plots: an output a module does not render, such as an unused "note",
    // keeps its initial "recalculating" class forever)
    const boxes = this.plotBoxes(view);
    if (boxes.some((b) => b.classList.contains("recalculating"))) return false;
    if (!boxes.length) return false;
    if (p.querySelector(".llmtrends-message") && !p.querySelector("img.llmtrends-plot")) return true;
    // (an image counts once loaded: a figure is a URL the browser fetches after the HTML)
    return boxes.every((b) => {
      if (this.isGrid(b)) return this.gridReady(b);
      const img = b.querySelector("img.llmtrends-plot");
      return img ? img.complete && img.naturalWidth > 0 : !!b.querySelector(".llmtrends-message");
    });
  },

  // The view's controls, discovered from the DOM: bound inputs in its namespace.
  controls(view) {
    const p = this.pane(view);
    const out = [];
    p.querySelectorAll(".shiny-bound-input").forEach((el) => {
      if (!el.id || !el.id.startsWith(view + "-")) return;
      const name = el.id.slice(view.length + 1);
      if (name === "figure_format" || name === "figure_size") return;  // only affect downloads (tested there)
      // hidden bookkeeping inputs (e.g. the board marker) are not controls a user sees
      const box = el.closest(".shiny-input-container") || el;
      if (!box.getClientRects().length) return;
      let kind;
      const cl = el.classList;
      if (cl.contains("shiny-date-range-input")) kind = "daterange";
      else if (cl.contains("shiny-date-input")) kind = "date";
      else if (cl.contains("shiny-input-checkboxgroup")) kind = "checkboxgroup";
      else if (cl.contains("shiny-input-radiogroup")) kind = "radio";
      else if (el.tagName === "SELECT") kind = "select";
      else if (el.type === "checkbox") kind = "checkbox";
      else if (cl.contains("js-range-slider")) kind = "slider";
      else if (el.type === "number") kind = "number";
      else if (el.type === "text" || el.type === "search" || el.tagName === "TEXTAREA") kind = "text";
      else kind = "other:" + el.tagName + "." + el.className;
      out.push({ id: el.id, name, kind });
    });
    return out;
  },

  binding(name) {
    return Shiny.inputBindings.bindingNames[name].binding;
  },

  isoDay(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  },

  // Move a date range's end to the middle of the range (through its own binding, as an
  // update from the widget would): always a different, still valid, range. (The end, not
  // the start: the recent half has the most models, so other filters applied before,
  // e.g. a minimum score, still leave something for this change to remove.)
  shiftDateRange(id) {
    const el = document.getElementById(id);
    const [start, end] = this.binding("shiny.dateRangeInput").getValue(el);
    const mid = this.isoDay((Date.parse(start) + Date.parse(end)) / 2);
    this.binding("shiny.dateRangeInput").receiveMessage(el, { value: { start, end: mid } });
    return [start, mid];
  },

  setDateRange(id, start, end) {
    const el = document.getElementById(id);
    this.binding("shiny.dateRangeInput").receiveMessage(el, { value: { start, end } });
  },

  shiftDate(id) {
    const el = document.getElementById(id);
    const b = this.binding("shiny.dateInput");
    const cur = Date.parse(b.getValue(el));
    const inp = el.querySelector("input");
    const lo = Date.parse(inp.dataset.minDate || b.getValue(el));
    const hi = Date.parse(inp.dataset.maxDate || b.getValue(el));
    const target = cur - lo > hi - cur ? (lo + cur) / 2 : (cur + hi) / 2;
    b.receiveMessage(el, { value: this.isoDay(target) });
    return this.isoDay(target);
  },

  shiftSlider(id) {
    const el = document.getElementById(id);
    const b = this.binding("shiny.sliderInput");
    const v = b.getValue(el);
    const lo = Number(el.dataset.min), hi = Number(el.dataset.max);
    if (Array.isArray(v)) {
      const from = (v[0] + v[1]) / 2;
      b.receiveMessage(el, { value: [from, v[1]] });
      return [from, v[1]];
    }
    const target = Math.round(v - lo > hi - v ? (lo + v) / 2 : (v + hi) / 2);
    b.receiveMessage(el, { value: target });
    return target;
  },

  // Another choice for a select (selectize or native): add/remove one for multiple.
  changeSelect(id) {
    const el = document.getElementById(id);
    const s = el.selectize;
    if (s) {
      const opts = Object.keys(s.options);
      const items = s.items.slice();
      if (el.multiple) {
        if (items.length > 1) s.removeItem(items[items.length - 1]);
        else s.addItem(opts.find((o) => !items.includes(o)));
      } else {
        s.setValue(opts.find((o) => !items.includes(o)));
      }
      return s.items.slice();
    }
    return null;  // native select: handled with Playwright's select_option
  },
};
