"""Shared by the app benchmarks (issue 8): start/stop the app, read its memory, drive Chromium.

* :func:`start_app` runs ``python -m shiny run app.py`` on a free port of 127.0.0.1 with
  ``LLMTRENDS_DATA`` pointing at a snapshot folder; :func:`stop_app` terminates it (kill after
  10 s). The server is one process (uvicorn in-process), so its memory is read from
  ``/proc/<pid>/status`` (VmRSS now, VmHWM = peak), for the app process and summed over
  its process tree (the figure workers and their fork server), with the tree's PSS.
* :data:`PAGE_JS` is installed in every page (``window.__bench``): it discovers a view's
  controls from the DOM, sets them through Shiny's own input bindings (as the widgets do),
  and times a change in the page itself: from just before the value is set to the moment
  the last new image of the view is decoded, once a round trip through the server shows
  nothing left to recompute. Plots are told apart by their ``data-key`` (the figure's
  content key, as in its URL), so a re-sent identical figure does not count as "new".

Nothing here asserts on time: these are measurements, printed and written as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1400, "height": 1000}

# The study's R app (issue 8): first render median, control change median range (ms).
R_BASELINE = {
    "type_popularity": (702, "567–617 (aggregation)"),
    "author_activity": (726, "1173–1285 (date range)"),
    "score_trends": (1141, "1154–1421 (aggregation)"),
    "architecture_popularity": (826, "889–899 (date range)"),
    "base_models": (1058, "399–1042 (labels toggle)"),
    "releases": (644, "647–694 (aggregation)"),
}
R_COLD_START_S = 3.9
R_RSS_ONE_PAGE_MB = 287


# --------------------------------------------------------------------------- server


@dataclass
class App:
    url: str
    proc: subprocess.Popen
    log_path: Path
    started: float  # time.monotonic() just before Popen
    ready_s: float | None = None  # until the page answered 200
    rss_samples: list = field(default_factory=list)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(data_dir: Path, log_dir: Path, timeout_s: float = 120, env_extra: dict | None = None,
              repo: Path = REPO) -> App:
    """Start the app on 127.0.0.1 and wait (bounded) until its page answers. ``repo``: the
    checkout whose ``app.py`` runs (another revision's worktree, to compare)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = log_dir / f"app-{port}.log"
    env = dict(os.environ, LLMTRENDS_DATA=str(data_dir), PYTHONUNBUFFERED="1")
    env.pop("LLMTRENDS_BOARD", None)  # the data's default board, unless the caller names one
    env.update(env_extra or {})
    with open(log_path, "w", encoding="utf-8") as log:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "shiny", "run", "app.py", "--host", "127.0.0.1", "--port", str(port)],
            cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT)
    return wait_ready(App(url=f"http://127.0.0.1:{port}/", proc=proc, log_path=log_path, started=started),
                      timeout_s)


def wait_ready(app: App, timeout_s: float, what: str = "the app") -> App:
    """Wait (bounded) until the server started as ``app`` answers its page; its ``ready_s``
    is then the time from its start. Stops it and says why when it exits or never answers."""
    deadline = app.started + timeout_s
    while time.monotonic() < deadline:
        if app.proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {app.proc.returncode}:\n{app.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(app.url, timeout=5) as resp:
                if resp.status == 200:
                    app.ready_s = time.monotonic() - app.started
                    return app
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    stop_app(app)
    raise RuntimeError(f"{what} did not answer within {timeout_s}s:\n{app.log_text()[-3000:]}")


def stop_app(app: App) -> None:
    """Terminate the app started by :func:`start_app` (kill if it lingers)."""
    if app.proc.poll() is None:
        app.proc.terminate()
        try:
            app.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            app.proc.kill()
            app.proc.wait(timeout=10)


def _status_mb(pid: int) -> dict:
    out = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, val = line.split(":", 1)
                    out[key] = int(val.split()[0]) / 1024
    except OSError:
        pass
    return out


def _pss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def descendants(pid: int) -> list[int]:
    """The process ids of ``pid``'s children, their children, ... (from /proc/*/stat)."""
    parent_of = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                    parent_of[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent_of.items() if pp == p]
        out += kids
        todo += kids
    return out


def proc_memory_mb(pid: int) -> dict:
    """Memory of the app process and of its whole tree (figure workers, fork server), MiB.

    ``rss_mb`` / ``peak_rss_mb``: VmRSS / VmHWM of the app process alone. ``tree_rss_mb``:
    VmRSS summed over the tree (counts pages the processes share once per process: an
    upper bound); ``tree_pss_mb``: proportional set size summed over the tree (shared pages
    divided among their sharers: what the tree costs the machine); ``tree_peak_mb``:
    VmHWM summed (an upper bound of the tree's peak).
    """
    main = _status_mb(pid)
    tree = [pid] + descendants(pid)
    stats = [_status_mb(p) for p in tree]
    pss = [_pss_mb(p) for p in tree]
    return {"rss_mb": main.get("VmRSS"), "peak_rss_mb": main.get("VmHWM"), "processes": len(tree),
            "tree_rss_mb": sum(st.get("VmRSS", 0) for st in stats) if main else None,
            "tree_peak_mb": sum(st.get("VmHWM", 0) for st in stats) if main else None,
            "tree_pss_mb": sum(v for v in pss if v is not None) if main else None}


# --------------------------------------------------------------------------- page

PAGE_JS = r"""
window.__bench = {
  pings: 0, pong: true, busy: false, installed: false, busyCount: 0,
  install() {
    if (this.installed || !window.jQuery || !window.Shiny || !Shiny.shinyapp) return this.installed;
    jQuery(document).on("shiny:message", (e) => {
      const m = e.message || {};
      if (m.busy === "busy") { this.busy = true; this.busyCount += 1; }
      if ("values" in m) this.pong = true;
    });
    this.installed = true;
    return true;
  },
  sleep(ms) { return new Promise((r) => setTimeout(r, ms)); },
  pane(view) {
    const link = document.querySelector(`a[data-value="${view}"]`);
    return link ? document.querySelector(link.getAttribute("href")) : null;
  },
  boxes(view) {
    const p = this.pane(view);
    return p ? [...p.querySelectorAll(`[id^="${view}-plot_"]`)] : [];
  },
  sig(view) {
    return this.boxes(view).map((b) => {
      const img = b.querySelector("img.llmtrends-plot");
      const msg = b.querySelector(".llmtrends-message");
      if (img) return "img:" + (img.dataset.key || img.src.length);
      if (msg) return "msg:" + msg.textContent.trim();
      return "-";
    }).join("|");
  },
  settled(view) {
    const p = this.pane(view);
    if (!p || document.documentElement.classList.contains("shiny-busy")) return false;
    const boxes = this.boxes(view);
    if (!boxes.length) return false;
    // only the plots count: an output with no server-side renderer stays "recalculating"
    if (boxes.some((b) => b.classList.contains("recalculating"))) return false;
    if (p.querySelector(".llmtrends-message")) return true;
    return boxes.every((b) => b.querySelector("img.llmtrends-plot"));
  },
  isMessage(view) { const p = this.pane(view); return !!(p && p.querySelector(".llmtrends-message")); },
  messageText(view) { const p = this.pane(view); const m = p && p.querySelector(".llmtrends-message"); return m ? m.textContent.trim() : null; },
  async decode(view) {
    const p = this.pane(view);
    await Promise.all([...p.querySelectorAll("img.llmtrends-plot")].map((i) => i.decode().catch(() => null)));
  },
  async roundtrip() {
    this.pings += 1; this.pong = false; this.busy = false;
    Shiny.setInputValue("bench_ping", this.pings, { priority: "event" });
    const t = performance.now();
    while (!this.pong) { await this.sleep(5); if (performance.now() - t > 120000) throw new Error("no answer from the server"); }
    return !this.busy;
  },
  // Wait until the view shows something other than `old`, settled, and a round trip shows
  // nothing left to recompute; ms = until the last new image was decoded.
  // A change may also give the very figures shown (a figure is named by its content):
  // with `sameOk`, once the server worked on it (busy), a round trip after which the view
  // is settled and unchanged ends it too.
  async waitNew(view, old, t0, timeoutMs, sameOk = false) {
    let shown = null, last = null;
    const busyBefore = this.busyCount;
    while (performance.now() - t0 < timeoutMs) {
      const s = this.sig(view);
      if (sameOk && s === old && this.busyCount > busyBefore && this.settled(view)) {
        const quiet = await this.roundtrip();
        if (quiet && this.settled(view) && this.sig(view) === old) {
          return { ms: performance.now() - t0, sig: old, unchanged: true, message: this.messageText(view) };
        }
        continue;
      }
      if (this.settled(view) && s !== old) {
        if (s !== last) { await this.decode(view); shown = performance.now(); last = s; }
        const quiet = await this.roundtrip();
        if (quiet && this.settled(view) && this.sig(view) === last) return { ms: shown - t0, sig: last, message: this.messageText(view) };
        continue;
      }
      await this.sleep(5);
    }
    return { ms: null, error: "timeout", sig: this.sig(view) };
  },
  async openTab(view, timeoutMs) {
    const old = this.sig(view);
    const t0 = performance.now();
    document.querySelector(`a[data-value="${view}"]`).click();
    return await this.waitNew(view, old === "" ? "<none>" : old, t0, timeoutMs);
  },
  async openBoard(view, board, timeoutMs) {
    const old = this.sig(view);
    const t0 = performance.now();
    document.querySelector(`input[name="board"][value="${board}"]`).click();
    return await this.waitNew(view, old, t0, timeoutMs);
  },
  binding(name) { return Shiny.inputBindings.bindingNames[name].binding; },
  controls(view) {
    const p = this.pane(view);
    const out = [];
    p.querySelectorAll(".shiny-bound-input").forEach((el) => {
      if (!el.id || !el.id.startsWith(view + "-")) return;
      const name = el.id.slice(view.length + 1);
      if (name === "figure_format" || name === "controls_board") return;
      const cl = el.classList;
      let c = { id: el.id, name };
      if (cl.contains("shiny-date-range-input")) {
        const [start, end] = this.binding("shiny.dateRangeInput").getValue(el);
        Object.assign(c, { kind: "daterange", value: [start, end] });
      } else if (cl.contains("shiny-input-checkboxgroup")) {
        const boxes = [...el.querySelectorAll('input[type="checkbox"]')];
        Object.assign(c, { kind: "checkboxgroup", options: boxes.map((b) => b.value), value: boxes.filter((b) => b.checked).map((b) => b.value) });
      } else if (cl.contains("shiny-input-radiogroup")) {
        const radios = [...el.querySelectorAll('input[type="radio"]')];
        Object.assign(c, { kind: "radio", options: radios.map((b) => b.value), value: (radios.find((b) => b.checked) || {}).value });
      } else if (el.tagName === "SELECT" && el.selectize) {
        Object.assign(c, { kind: "selectize", multiple: el.multiple, options: Object.keys(el.selectize.options), value: el.selectize.items.slice() });
      } else if (el.tagName === "SELECT") {
        Object.assign(c, { kind: "select", multiple: el.multiple, options: [...el.options].map((o) => o.value), value: el.multiple ? [...el.selectedOptions].map((o) => o.value) : el.value });
      } else if (el.type === "checkbox") {
        Object.assign(c, { kind: "checkbox", value: el.checked });
      } else if (cl.contains("js-range-slider")) {
        Object.assign(c, { kind: "slider", min: Number(el.dataset.min), max: Number(el.dataset.max), value: this.binding("shiny.sliderInput").getValue(el) });
      } else {
        Object.assign(c, { kind: "other" });
      }
      out.push(c);
    });
    return out;
  },
  setValue(c, value) {
    const el = document.getElementById(c.id);
    if (c.kind === "daterange") this.binding("shiny.dateRangeInput").receiveMessage(el, { value: { start: value[0], end: value[1] } });
    else if (c.kind === "checkboxgroup") this.binding("shiny.checkboxGroupInput").receiveMessage(el, { value });
    else if (c.kind === "radio") this.binding("shiny.radioInput").receiveMessage(el, { value });
    else if (c.kind === "checkbox") this.binding("shiny.checkboxInput").receiveMessage(el, { value });
    else if (c.kind === "selectize") el.selectize.setValue(value);
    else if (c.kind === "select") { el.value = value; jQuery(el).trigger("change"); }
    else if (c.kind === "slider") this.binding("shiny.sliderInput").receiveMessage(el, { value });
    else throw new Error("cannot set " + c.kind);
  },
  async change(view, c, value, timeoutMs) {
    const old = this.sig(view);
    const t0 = performance.now();
    this.setValue(c, value);
    return await this.waitNew(view, old, t0, timeoutMs, true);
  },
};
"""


def new_page(browser, url: str, timeout_ms: int = 120_000):
    """A fresh context + page (a new Shiny session) on the app, helpers installed."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    page.add_init_script(PAGE_JS)
    page.goto(url)
    page.wait_for_function("() => window.Shiny && Shiny.shinyapp && Shiny.shinyapp.isConnected() && __bench.install()")
    return context, page


def launch_chromium(pw):
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# --------------------------------------------------------------------------- values


def iso(d: dt.date) -> str:
    return d.isoformat()


def fresh_values(c: dict, n: int) -> list:
    """Up to ``n`` distinct values of a control, none equal to its current value.

    Date ranges move their start forward a week at a time (always a new range); groups of
    checkboxes leave out one, then two… options; selects/radios walk their options;
    a checkbox has one other value. Each is a parameter combination not rendered before
    in this session (given the other controls stay put).
    """
    kind, cur = c["kind"], c.get("value")
    out: list = []
    if kind == "daterange":
        start, end = dt.date.fromisoformat(cur[0]), dt.date.fromisoformat(cur[1])
        span = (end - start).days
        step = max(1, min(7, span // (2 * n + 2)))
        out = [[iso(start + dt.timedelta(days=step * (i + 1))), cur[1]] for i in range(n)]
    elif kind == "checkboxgroup":
        from itertools import combinations
        sel = list(cur)
        for k in range(1, len(sel)):
            for drop in combinations(reversed(sel), k):
                out.append([v for v in sel if v not in drop])
                if len(out) >= n:
                    return out
    elif kind in ("selectize", "select") and c.get("multiple"):
        sel = list(cur)
        others = [o for o in c["options"] if o not in sel]
        for o in others:
            out.append(sel + [o])
        for o in reversed(sel):
            if len(sel) > 1:
                out.append([v for v in sel if v != o])
    elif kind in ("radio", "select", "selectize"):
        out = [o for o in c["options"] if o != cur]
    elif kind == "checkbox":
        out = [not cur]
    elif kind == "slider" and not isinstance(cur, list):
        lo, hi = c["min"], c["max"]
        out = [lo + (hi - lo) * (i + 1) / (n + 2) for i in range(n)]
    return out[:n]


def primary_control(controls: list[dict], n: int) -> dict | None:
    """The control with the most distinct fresh values (date ranges first)."""
    order = {"daterange": 0, "selectize": 1, "select": 1, "checkboxgroup": 2, "slider": 3, "radio": 4, "checkbox": 5}
    usable = [c for c in controls if c["kind"] in order and fresh_values(c, n)]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(len(fresh_values(c, n)), n), -order[c["kind"]]))


# --------------------------------------------------------------------------- stats


def summary(values: list[float]) -> dict:
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return {"n": 0, "median": None, "p95": None, "min": None, "max": None}
    p95 = vals[math.ceil(0.95 * len(vals)) - 1]  # nearest rank
    return {"n": len(vals), "median": round(statistics.median(vals), 1), "p95": round(p95, 1),
            "min": round(vals[0], 1), "max": round(vals[-1], 1)}


# A fixed piece of pure-Python work: its time tells how fast this machine's cores run at the
# moment. On this VM the same work takes 95-195 ms from one minute to the next, idle or not,
# so every benchmark records it beside its own figures (a latency measured while the probe
# reads 180 ms is not comparable with one measured at 100 ms).
PROBE_LOOPS = 3_000_000


def cpu_probe_ms(runs: int = 3) -> float:
    """Median wall time (ms) of ``runs`` runs of :data:`PROBE_LOOPS` additions in Python."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        x = 0
        for i in range(PROBE_LOOPS):
            x += i * i
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1)


def git_rev(repo: Path = REPO) -> str | None:
    """The commit checked out in ``repo`` (with ``+`` when the tree has changes), for the results' JSON."""
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return rev + ("+" if dirty else "")


def machine() -> dict:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "loadavg_at_start": load}


def write_json(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def fmt_ms(v) -> str:
    return "—" if v is None else f"{v:.0f}"
