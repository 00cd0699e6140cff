"""llmtrends against the study's R app, side by side in one run (issue 25).

The R app is the study's ``app.R`` (public repository ``bogdansinik/OpenSourceAI-HuggingFace``),
in a folder you supply (``--r-app DIR``), run with ``Rscript`` (R 4.2 and Debian's
``r-cran-*`` packages: shiny, tidyverse, ggrepel, gridExtra, plotly, DT, shinythemes).
Its ``library(shinyWidgets)``, loaded but never used and not packaged by Debian, is skipped
by a prelude (a ``library`` that skips packages not installed, said on stderr), and where
dplyr is older than 1.1 (Debian 12 has 1.0.10) the prelude gives ``reframe`` as
``summarise`` (which took multi-row results before 1.1); the file itself is not changed. It reads ``DIR/data/{data.csv,data_for_model_evolution.csv,
author_activity.csv}``, which ``--make-r-data`` writes from llmtrends' v1 snapshot (the
study's v1 files, prepared by ``scripts/preprocess.py``): every dated model with its type,
namespace, average, architecture family and parameters; the repositories per namespace; the
base models' staircases (score gained over the base). Nothing of it is committed.

Both apps run at once on 127.0.0.1, driven by one headless Chromium, the measurements of
the two interleaved (an R step, then the same step on llmtrends), so that both see the same
machine: this VM's speed changes ~2x from one minute to the next, and the ratio is what is
compared. For each of the study's six tabs, on llmtrends' v1 board:

* **first render**: a fresh session opens the tab (tab click to every plot decoded);
* **fresh change**: the tab's date range (the base models' selection where there is none)
  set to a value never drawn before (its start a week later each time), to every new plot
  decoded and nothing left to recompute;
* **seen change**: the same control back and forth between two values already drawn;

plus the **cold start** (process start to the first plot in a page, ``--cold-reps`` each,
alternating) and the **memory** of each server after each of ``--sessions`` sessions that
open every tab (the R process's RSS; llmtrends' app process RSS and its process tree's PSS).
Prints the table of medians and ratios; JSON to ``benchmarks/results/vs_r-<time>.json``.

    .venv/bin/python benchmarks/vs_r.py --r-app /tmp/rapp --make-r-data --data data
    .venv/bin/python benchmarks/vs_r.py --r-app /tmp/rapp --data data --reps 12 --repo /tmp/other-checkout
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _appdriver as d  # noqa: E402

TIMEOUT_MS = 180_000
# the study's six tabs: R's tab title, R's control, llmtrends' view and control
TABS = [
    ("Model Type Popularity", "modelDateRange", "type_popularity", "dates"),
    ("Author Activity", "authorDateRange", "author_activity", "dates"),
    ("Total Models and Average Score", "plotDateRange", "score_trends", "dates"),
    ("Models Architecture Popularity", "popularityDateRange", "architecture_popularity", "dates"),
    ("Evolution of Popular Base Models", "models", "base_models", "bases"),
    ("Effects of Important Models Release", "plotDateRange2", "releases", "dates"),
]
# llmtrends' base models -> the R app's codes (it has no other)
R_BASES = {"llama1_30b": "llama30", "llama1_7b": "llama7b7", "llama2_70b": "llama270", "llama3_8b": "llama38",
           "llama3_70b": "llama370", "mistral_7b": "mistral7b7", "mixtral_8x7b": "mixtral8x7b46", "phi2": "phi2"}
R_PRELUDE = r"""
library <- function(package, ...) {
  name <- as.character(substitute(package))
  if (!requireNamespace(name, quietly = TRUE)) {
    message("vs_r prelude: package ", name, " is not installed; app.R loads it but uses none of it: skipped")
    return(invisible(NULL))
  }
  base::library(name, character.only = TRUE, ...)
}
if (!exists("reframe", envir = asNamespace("dplyr"))) {
  message("vs_r prelude: this dplyr has no reframe (added in 1.1.0): summarise() stands in for it")
  reframe <- function(.data, ...) {
    dots <- rlang::enquos(...)
    dots <- dots[names(dots) != ".groups"]
    dplyr::ungroup(dplyr::summarise(.data, !!!dots, .groups = "drop"))
  }
}
shiny::runApp(".", host = "127.0.0.1", port = as.integer(Sys.getenv("VS_R_PORT")), launch.browser = FALSE)
"""

# One driver for both pages: tabs found by their title (R) or value (llmtrends), plots by a
# selector; a change is timed from setting the value to the last new image decoded, once every
# plot got a new value and the page is idle (no busy class, no output recalculating) and stays
# so for QUIET_MS.
PAGE_JS = r"""
window.__cmp = {
  cfg: null, QUIET_MS: 150, values: {},
  sleep(ms) { return new Promise((r) => setTimeout(r, ms)); },
  link(tab) {
    if (this.cfg.r) return [...document.querySelectorAll('.nav a')].find((a) => a.textContent.trim() === tab);
    return document.querySelector(`a[data-value="${tab}"]`);
  },
  pane(tab) { const a = this.link(tab); return a ? document.querySelector(a.getAttribute('href')) : null; },
  plots(tab) {
    const p = this.pane(tab);
    if (!p) return [];
    return this.cfg.r ? [...p.querySelectorAll('.shiny-plot-output')] : [...p.querySelectorAll(`[id^="${tab}-plot_"]`)];
  },
  img(box) { return box.querySelector(this.cfg.r ? 'img' : 'img.llmtrends-plot'); },
  // Outputs' new values, counted as Shiny announces them (both apps): a change is done when
  // every plot of the tab got a new value, even one identical to the last (a figure URL
  // names its content, so an unchanged figure keeps its address).
  counts(tab) { return this.plots(tab).map((b) => this.values[b.id] || 0); },
  fresh(tab, before) {
    const now = this.counts(tab);
    return now.length > 0 && now.every((n, i) => n > (before[i] || 0));
  },
  settled(tab) {
    const boxes = this.plots(tab);
    if (!boxes.length || document.documentElement.classList.contains('shiny-busy')) return false;
    if (boxes.some((b) => b.classList.contains('recalculating'))) return false;
    return boxes.every((b) => this.img(b) || b.querySelector('.llmtrends-message'));
  },
  async decode(tab) {
    await Promise.all(this.plots(tab).map((b) => this.img(b)).filter(Boolean).map((i) => i.decode().catch(() => null)));
  },
  async waitNew(tab, before, t0, timeoutMs) {
    let shown = null, last = null, quietSince = null;
    while (performance.now() - t0 < timeoutMs) {
      const c = this.counts(tab).join(',');
      if (this.settled(tab) && this.fresh(tab, before)) {
        if (c !== last) { await this.decode(tab); shown = performance.now(); last = c; quietSince = performance.now(); }
        else if (performance.now() - quietSince >= this.QUIET_MS) return { ms: shown - t0 };
      } else { last = null; }
      await this.sleep(5);
    }
    return { ms: null, error: 'timeout', counts: this.counts(tab) };
  },
  async openTab(tab, timeoutMs) {
    const before = this.counts(tab);
    const t0 = performance.now();
    this.link(tab).click();
    return await this.waitNew(tab, before, t0, timeoutMs);
  },
  binding(name) { return Shiny.inputBindings.bindingNames[name].binding; },
  describe(id) {
    const el = document.getElementById(id);
    if (!el) return null;
    if (el.classList.contains('shiny-date-range-input')) {
      return { id, kind: 'daterange', value: this.binding('shiny.dateRangeInput').getValue(el) };
    }
    if (el.classList.contains('shiny-input-checkboxgroup')) {
      const boxes = [...el.querySelectorAll('input[type="checkbox"]')];
      return { id, kind: 'checkboxgroup', options: boxes.map((b) => b.value), value: boxes.filter((b) => b.checked).map((b) => b.value) };
    }
    if (el.tagName === 'SELECT' && el.selectize) {
      return { id, kind: 'selectize', multiple: el.multiple, options: Object.keys(el.selectize.options), value: el.selectize.items.slice() };
    }
    return { id, kind: 'other' };
  },
  setValue(c, value) {
    const el = document.getElementById(c.id);
    if (c.kind === 'daterange') this.binding('shiny.dateRangeInput').receiveMessage(el, { value: { start: value[0], end: value[1] } });
    else if (c.kind === 'checkboxgroup') this.binding('shiny.checkboxGroupInput').receiveMessage(el, { value });
    else if (c.kind === 'selectize') el.selectize.setValue(value);
    else throw new Error('cannot set ' + c.kind);
  },
  async change(tab, c, value, timeoutMs) {
    const before = this.counts(tab);
    const t0 = performance.now();
    this.setValue(c, value);
    return await this.waitNew(tab, before, t0, timeoutMs);
  },
};
document.addEventListener('DOMContentLoaded', () => {
  jQuery(document).on('shiny:value', (e) => { __cmp.values[e.name] = (__cmp.values[e.name] || 0) + 1; });
});
"""


# --------------------------------------------------------------------------- the R app's data


def make_r_data(data_dir: Path, r_app: Path) -> None:
    """Write the three CSVs app.R reads from llmtrends' v1 snapshot (see the module doc)."""
    import pandas as pd

    from llmtrends.pipeline import store
    from llmtrends.views import base_models

    snap = store.read_snapshot(data_dir, "v1")
    m = snap.models
    dated = m[m["created_at"].notna()]
    out = r_app / "data"
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "created_at": dated["created_at"].dt.strftime("%Y-%m-%d"),
        "TypeString": dated["type"].astype(str),
        "author": dated["namespace"].astype(str),
        "Average": dated["average"],
        "Architecture_new": dated["architecture_family"].astype(str),
        "Params": dated["params_b"],
    }).to_csv(out / "data.csv", index=False)
    repos = m.groupby("namespace").size().rename("num_of_repos").reset_index()
    repos.rename(columns={"namespace": "author_name"}).to_csv(out / "author_activity.csv", index=False)
    params = base_models.Params(bases=tuple(b for b in R_BASES if b in base_models.base_choices(snap)),
                                labels=True, y_axis="gain")
    steps = base_models.table(snap, params)
    pd.DataFrame({"Model": steps["base_key"].map(R_BASES), "days_since_release": steps["days_since_release"],
                  "Average": steps["gain_over_base"], "original_name": steps["label"]}) \
        .to_csv(out / "data_for_model_evolution.csv", index=False)


# --------------------------------------------------------------------------- servers


def start_r(r_app: Path, log_dir: Path, timeout_s: float = 180) -> d.App:
    port = d.free_port()
    log_path = log_dir / f"r-{port}.log"
    env = dict(os.environ, VS_R_PORT=str(port))
    with open(log_path, "w", encoding="utf-8") as log:
        started = time.monotonic()
        proc = subprocess.Popen(["Rscript", "-e", R_PRELUDE], cwd=r_app, env=env, stdout=log, stderr=subprocess.STDOUT)
    return d.wait_ready(d.App(url=f"http://127.0.0.1:{port}/", proc=proc, log_path=log_path, started=started),
                        timeout_s, "the R app")


def start_ours(data_dir: Path, log_dir: Path, repo: Path) -> d.App:
    return d.start_app(data_dir, log_dir, env_extra={"LLMTRENDS_BOARD": "v1"}, repo=repo)


# --------------------------------------------------------------------------- pages


def open_page(browser, app: d.App, r: bool):
    context = browser.new_context(viewport=d.VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.add_init_script(PAGE_JS + f"\nwindow.__cmp.cfg = {{ r: {'true' if r else 'false'} }};")
    page.goto(app.url)
    page.wait_for_function("() => window.Shiny && Shiny.shinyapp && Shiny.shinyapp.isConnected()")
    return context, page


def tab_key(r: bool, tab: tuple) -> str:
    return tab[0] if r else tab[2]


def control_id(r: bool, tab: tuple) -> str:
    return tab[1] if r else f"{tab[2]}-{tab[3]}"


def wait_first(page, first_tab: str) -> None:
    page.wait_for_function("t => __cmp.settled(t)", arg=first_tab, timeout=TIMEOUT_MS)
    page.evaluate("t => __cmp.decode(t)", first_tab)


def first_render(browser, app: d.App, r: bool, tab: tuple) -> float | None:
    """A fresh session: the page's first tab drawn, then ``tab`` opened; ms to its plots."""
    context, page = open_page(browser, app, r)
    try:
        wait_first(page, tab_key(r, TABS[0]))
        if tab is TABS[0]:  # the first tab: from the page's start (navigation) to its plots
            return page.evaluate("() => performance.now()")
        got = page.evaluate("([t, ms]) => __cmp.openTab(t, ms)", [tab_key(r, tab), TIMEOUT_MS])
        return got.get("ms")
    finally:
        context.close()


def on_tab(page, r: bool, tab: tuple) -> dict:
    key = tab_key(r, tab)
    wait_first(page, tab_key(r, TABS[0]))
    if tab is not TABS[0]:
        page.evaluate("([t, ms]) => __cmp.openTab(t, ms)", [key, TIMEOUT_MS])
    return page.wait_for_function("id => __cmp.describe(id)", arg=control_id(r, tab), timeout=TIMEOUT_MS).json_value()


def change(page, r: bool, tab: tuple, c: dict, value) -> float | None:
    got = page.evaluate("([t, c, v, ms]) => __cmp.change(t, c, v, ms)", [tab_key(r, tab), c, value, TIMEOUT_MS])
    return got.get("ms")


def cold_start(browser, start, r: bool) -> tuple[dict, d.App | None]:
    app = start()
    try:
        context, page = open_page(browser, app, r)
        try:
            wait_first(page, tab_key(r, TABS[0]))
            first = time.monotonic() - app.started
        finally:
            context.close()
    except BaseException:  # the caller never gets this server: stop it here
        d.stop_app(app)
        raise
    return {"server_ready_s": round(app.ready_s, 2), "first_plot_s": round(first, 2)}, app


# --------------------------------------------------------------------------- the run


def run(args) -> dict:
    from playwright.sync_api import sync_playwright

    result = {"label": args.label, "reps": args.reps, "machine": d.machine(), "probe_ms_at_start": d.cpu_probe_ms(),
              "repo": str(args.repo), "git": d.git_rev(args.repo), "tabs": {}, "cold": {"r": [], "ours": []},
              "memory": {"r": [], "ours": []}}
    tmp = Path(tempfile.mkdtemp(prefix="llmtrends-vs-r-"))
    starts = {"r": lambda: start_r(args.r_app, tmp), "ours": lambda: start_ours(args.data, tmp, args.repo)}
    apps: dict[str, d.App] = {}
    with sync_playwright() as pw:
        browser = d.launch_chromium(pw)
        try:
            # cold starts, alternating; the last start of each is kept for the rest of the run
            for i in range(args.cold_reps):
                for who in ("r", "ours"):
                    cs, app = cold_start(browser, starts[who], who == "r")
                    result["cold"][who].append(cs)
                    print(f"cold start {who}: {cs}", flush=True)
                    if i == args.cold_reps - 1:
                        apps[who] = app
                    else:
                        d.stop_app(app)
            for tab in TABS:
                entry = {"first": {"r": [], "ours": []}, "fresh": {"r": [], "ours": []}, "seen": {"r": [], "ours": []}}
                for _ in range(args.open_reps):
                    for who in ("r", "ours"):
                        entry["first"][who].append(first_render(browser, apps[who], who == "r", tab))
                pages, controls, values = {}, {}, {}
                try:
                    for who in ("r", "ours"):
                        pages[who] = open_page(browser, apps[who], who == "r")
                        controls[who] = on_tab(pages[who][1], who == "r", tab)
                        values[who] = d.fresh_values(controls[who], args.reps)
                    probe = d.cpu_probe_ms()
                    for i in range(args.reps):
                        for who in ("r", "ours"):
                            if i < len(values[who]):
                                entry["fresh"][who].append(change(pages[who][1], who == "r", tab, controls[who],
                                                                  values[who][i]))
                    for i in range(args.reps):
                        for who in ("r", "ours"):
                            if len(values[who]) >= 2:
                                entry["seen"][who].append(change(pages[who][1], who == "r", tab, controls[who],
                                                                 values[who][i % 2]))
                    entry["probe_ms"] = round((probe + d.cpu_probe_ms()) / 2, 1)
                finally:
                    for context, _ in pages.values():
                        context.close()
                for kind in ("first", "fresh", "seen"):
                    entry[kind] = {who: {"ms": v, **d.summary(v)} for who, v in entry[kind].items()}
                result["tabs"][tab[0]] = entry
                print(f"{tab[0]}: " + " · ".join(
                    f"{kind} R {d.fmt_ms(entry[kind]['r']['median'])} / ours {d.fmt_ms(entry[kind]['ours']['median'])}"
                    for kind in ("first", "fresh", "seen")) + f" · probe {entry['probe_ms']:.0f} ms", flush=True)
            # memory over sessions: each opens every tab, then closes
            for who in ("r", "ours"):
                result["memory"][who].append({"sessions": 0, **d.proc_memory_mb(apps[who].proc.pid)})
            for n in range(1, args.sessions + 1):
                for who in ("r", "ours"):
                    context, page = open_page(browser, apps[who], who == "r")
                    try:
                        wait_first(page, tab_key(who == "r", TABS[0]))
                        for tab in TABS[1:]:
                            page.evaluate("([t, ms]) => __cmp.openTab(t, ms)", [tab_key(who == "r", tab), TIMEOUT_MS])
                    finally:
                        context.close()
                    time.sleep(1.0)  # let the server end the session
                    result["memory"][who].append({"sessions": n, **d.proc_memory_mb(apps[who].proc.pid)})
                print(f"after {n} sessions: R {result['memory']['r'][-1]['rss_mb']:.0f} MB, ours "
                      f"{result['memory']['ours'][-1]['rss_mb']:.0f} MB (tree PSS "
                      f"{result['memory']['ours'][-1]['tree_pss_mb']:.0f} MB)", flush=True)
            errs = [ln for ln in apps["ours"].log_text().splitlines() if "ERROR" in ln or "Traceback" in ln]
            result["ours_log_errors"] = errs[:20]
        finally:
            for app in apps.values():
                d.stop_app(app)
            browser.close()
    return result


def ratio(r, ours) -> str:
    return "—" if not r or not ours else f"{r / ours:.1f}×"


def print_table(result: dict) -> None:
    print("\n| tab | fresh change, R / llmtrends median (ms) | ratio | seen change, R / llmtrends | ratio "
          "| first render, R / llmtrends | ratio | probe |")
    print("|---|---|---|---|---|---|---|---|")
    for title, e in result["tabs"].items():
        cells = []
        for kind in ("fresh", "seen", "first"):
            r, o = e[kind]["r"]["median"], e[kind]["ours"]["median"]
            cells += [f"{d.fmt_ms(r)} / {d.fmt_ms(o)}", ratio(r, o)]
        print(f"| {title} | " + " | ".join(cells) + f" | {e['probe_ms']:.0f} |")
    cold = {who: statistics.median(c["first_plot_s"] for c in result["cold"][who]) for who in ("r", "ours")}
    print(f"\nCold start to the first plot (median of {len(result['cold']['r'])}): R {cold['r']:.1f} s, "
          f"llmtrends {cold['ours']:.1f} s ({ratio(cold['r'], cold['ours'])})")
    mem = result["memory"]
    print("Memory after 0 … {} sessions: R {} MB; llmtrends app {} MB, with its workers (PSS) {} MB".format(
        len(mem["r"]) - 1, " → ".join(f"{m['rss_mb']:.0f}" for m in mem["r"]),
        " → ".join(f"{m['rss_mb']:.0f}" for m in mem["ours"]),
        " → ".join(f"{m['tree_pss_mb']:.0f}" for m in mem["ours"])))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--r-app", type=Path, required=True, help="folder holding the study's app.R (and data/)")
    ap.add_argument("--make-r-data", action="store_true", help="write DIR/data/*.csv from the v1 snapshot of --data")
    ap.add_argument("--data", type=Path, default=d.REPO / "data", help="llmtrends' snapshot folder (default: data/)")
    ap.add_argument("--repo", type=Path, default=d.REPO, help="the llmtrends checkout to run (default: this one)")
    ap.add_argument("--reps", type=int, default=10, help="fresh and seen changes per tab and app")
    ap.add_argument("--open-reps", type=int, default=5, help="fresh sessions per tab and app (first render)")
    ap.add_argument("--cold-reps", type=int, default=3, help="cold starts per app")
    ap.add_argument("--sessions", type=int, default=8, help="sessions for the memory curve")
    ap.add_argument("--label", default="vs_r", help="name of the JSON file in benchmarks/results/")
    args = ap.parse_args(argv)
    args.r_app, args.data = args.r_app.resolve(), args.data.resolve()
    if not (args.r_app / "app.R").is_file():
        ap.error(f"{args.r_app} holds no app.R")
    if args.make_r_data:
        make_r_data(args.data, args.r_app)
    result = run(args)
    print_table(result)
    print(f"\nwrote {d.write_json(args.label, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
