"""Per-view latency of the app in headless Chromium (issue 8), against the study's R app.

Starts the app on 127.0.0.1 (a subprocess), then for every view in ``llmtrends.views.VIEWS``
on each board:

* **open**: from clicking the tab to every plot of the view shown (``img.llmtrends-plot``
  decoded, or a ``.llmtrends-message``), in ``--open-reps`` fresh sessions (a new browser
  context each); the first session of the process is reported apart (``first``) since later
  ones may be served from the FigureCache. The first view of the page is timed from the
  board switch (or, on the default board, from the page's load);
* **change**: one control (the one with most distinct values: a date range, else a select
  or group of checkboxes…) set to ``--reps`` values never rendered before in this process
  (a date range moves its start a week at a time), from setting the value to the new
  image decoded and nothing left to recompute;
* **seen**: the same control set back and forth between two values already rendered
  (a parameter combination seen before: served from the FigureCache);

plus the app's cold start (process start to the first plot in a page) and the server's
memory (VmRSS after every view, VmHWM = peak). Prints a table next to the R baseline and
writes ``benchmarks/results/views-<time>.json``.

    .venv/bin/python benchmarks/views.py                 # data/, 10 reps
    .venv/bin/python benchmarks/views.py --data DIR --reps 12 --open-reps 10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _appdriver as d  # noqa: E402

TIMEOUT_MS = 180_000


def cold_start(browser, app: d.App, first_view: str) -> dict:
    """Open a page as soon as the server answers; time to the first view's plots."""
    context, page = d.new_page(browser, app.url)
    try:
        page.wait_for_function("v => __bench.settled(v)", arg=first_view, timeout=TIMEOUT_MS)
        page.evaluate("v => __bench.decode(v)", first_view)
        first_plot = time.monotonic() - app.started
        # where the page's part goes (ms after it was asked for): its scripts loaded and run
        # (DOMContentLoaded), everything loaded, and the first plot decoded
        in_page = page.evaluate("() => { const t = performance.timing; return {dcl_ms: t.domContentLoadedEventEnd - "
                                "t.navigationStart, plot_ms: Math.round(performance.now())}; }")
        default_board = page.evaluate("() => Shiny.shinyapp.$inputValues['board']")
        boards = page.evaluate("() => [...document.querySelectorAll('input[name=\"board\"]')].map(e => e.value)")
    finally:
        context.close()
    return {"server_ready_s": round(app.ready_s, 2), "first_plot_s": round(first_plot, 2), **in_page,
            "default_board": default_board, "boards": boards}


def open_session(browser, app: d.App, board: str, default_board: str, view_ids: list[str]) -> dict:
    """One fresh session: the first view on ``board``, then every other tab; ms per view."""
    out = {}
    t0 = time.monotonic()
    context, page = d.new_page(browser, app.url)
    try:
        if board == default_board:
            page.wait_for_function("v => __bench.settled(v)", arg=view_ids[0], timeout=TIMEOUT_MS)
            page.evaluate("v => __bench.decode(v)", view_ids[0])
            out[view_ids[0]] = {"ms": (time.monotonic() - t0) * 1000, "how": "page load"}
        else:
            page.wait_for_function("v => __bench.settled(v)", arg=view_ids[0], timeout=TIMEOUT_MS)
            r = page.evaluate("([v, b, t]) => __bench.openBoard(v, b, t)", [view_ids[0], board, TIMEOUT_MS])
            out[view_ids[0]] = {"ms": r.get("ms"), "how": "board switch", "error": r.get("error")}
        for vid in view_ids[1:]:
            r = page.evaluate("([v, t]) => __bench.openTab(v, t)", [vid, TIMEOUT_MS])
            out[vid] = {"ms": r.get("ms"), "how": "tab click", "error": r.get("error")}
    finally:
        context.close()
    return out


def goto_view(page, board: str, view_id: str) -> None:
    page.evaluate("v => document.querySelector(`a[data-value=\"${v}\"]`).click()", view_id)
    radio = page.locator(f'input[name="board"][value="{board}"]')
    if not radio.is_checked():
        radio.check()
    page.wait_for_function("([v, b]) => Shiny.shinyapp.$inputValues['board'] === b && __bench.pane(v)"
                           ".classList.contains('active') && __bench.settled(v)", arg=[view_id, board],
                           timeout=TIMEOUT_MS)
    page.evaluate("() => __bench.roundtrip()")
    page.wait_for_function("v => __bench.settled(v)", arg=view_id, timeout=TIMEOUT_MS)


def change_runs(page, view_id: str, reps: int) -> dict:
    """Fresh values of the primary control, then back and forth between two seen ones."""
    controls = page.evaluate("v => __bench.controls(v)", view_id)
    c = d.primary_control(controls, reps)
    if c is None:
        return {"control": None, "controls": [x["name"] for x in controls]}
    values = d.fresh_values(c, reps)
    fresh, seen, errors, messages, unchanged = [], [], [], 0, 0
    for v in values:
        r = page.evaluate("([view, c, v, t]) => __bench.change(view, c, v, t)", [view_id, c, v, TIMEOUT_MS])
        fresh.append(r.get("ms"))
        messages += r.get("message") is not None
        unchanged += bool(r.get("unchanged"))
        if r.get("error"):
            errors.append(f"fresh {v}: {r['error']}")
    if len(values) >= 2:
        for i in range(reps):
            v = values[i % 2]
            r = page.evaluate("([view, c, v, t]) => __bench.change(view, c, v, t)", [view_id, c, v, TIMEOUT_MS])
            seen.append(r.get("ms"))
            if r.get("error"):
                errors.append(f"seen {v}: {r['error']}")
    # back to where it started, so the next view's session is at its defaults
    page.evaluate("([view, c, v, t]) => __bench.change(view, c, v, t)", [view_id, c, c["value"], TIMEOUT_MS])
    return {"control": f"{c['name']} ({c['kind']})", "fresh_ms": fresh, "seen_ms": seen,
            "fresh": d.summary(fresh), "seen": d.summary(seen), "errors": errors,
            "fresh_messages": messages, "fresh_unchanged": unchanged}


def draws_plots(data_dir: Path, board: str, view_id: str) -> bool:
    """Whether a view's default selection has something to plot on a board (CO₂ on v1 has not)."""
    from llmtrends.pipeline import store
    from llmtrends.views import by_id
    from llmtrends.views import inputs

    view, snap = by_id(view_id), store.read_snapshot(data_dir, board)
    try:
        view.table(snap, view.Params.defaults(snap))
    except inputs.ViewError:
        return False
    return True


def run(data_dir: Path, reps: int, open_reps: int, only: list[str] | None, env_extra: dict | None = None,
        label: str = "views", boards: list[str] | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    from llmtrends.views import VIEWS

    view_ids = [v.ID for v in VIEWS if v.FIGURES]  # a view without plots (a table) has nothing to time here
    titles = {v.ID: v.TITLE for v in VIEWS}
    result: dict = {"label": label, "data_dir": str(data_dir), "reps": reps, "open_reps": open_reps,
                    "machine": d.machine(), "probe_ms_at_start": d.cpu_probe_ms(), "views": {}, "memory": []}
    tmp = Path(tempfile.mkdtemp(prefix="llmtrends-bench-"))
    with sync_playwright() as pw:
        browser = d.launch_chromium(pw)
        app = d.start_app(data_dir, tmp, env_extra=env_extra)
        try:
            cs = cold_start(browser, app, view_ids[0])
            result["cold_start"] = cs
            result["memory"].append({"at": "cold start", **d.proc_memory_mb(app.proc.pid)})
            print(f"cold start: server answers after {cs['server_ready_s']} s, first plot after "
                  f"{cs['first_plot_s']} s (R app: {d.R_COLD_START_S} s)", flush=True)
            for board in [b for b in cs["boards"] if not boards or b in boards]:
                opens: dict[str, list] = {v: [] for v in view_ids}
                for i in range(open_reps):
                    for vid, r in open_session(browser, app, board, cs["default_board"], view_ids).items():
                        opens[vid].append(r)
                result["memory"].append({"at": f"{board}: after {open_reps} sessions",
                                         **d.proc_memory_mb(app.proc.pid)})
                context, page = d.new_page(browser, app.url)
                try:
                    for vid in view_ids:
                        if only and vid not in only:
                            continue
                        if not draws_plots(data_dir, board, vid):
                            print(f"{board}/{vid}: shows a message on this board (nothing to time)", flush=True)
                            continue
                        goto_view(page, board, vid)
                        probe = d.cpu_probe_ms()  # the machine's speed right now (see _appdriver)
                        ch = change_runs(page, vid, reps)
                        probe = round((probe + d.cpu_probe_ms()) / 2, 1)  # before and after
                        later = [r["ms"] for r in opens[vid][1:]]
                        entry = {"title": titles[vid], "open_first_ms": opens[vid][0]["ms"],
                                 "open_how": opens[vid][0]["how"], "open": d.summary(later),
                                 "open_ms": [r["ms"] for r in opens[vid]],
                                 "open_errors": [r.get("error") for r in opens[vid] if r.get("error")],
                                 "probe_ms": probe, **ch}
                        result["views"][f"{board}/{vid}"] = entry
                        mem = d.proc_memory_mb(app.proc.pid)
                        result["memory"].append({"at": f"{board}/{vid}", **mem})
                        print(f"{board}/{vid}: open first {d.fmt_ms(entry['open_first_ms'])} "
                              f"median {d.fmt_ms(entry['open']['median'])} · change [{ch.get('control')}] "
                              f"median {d.fmt_ms((ch.get('fresh') or {}).get('median'))} "
                              f"p95 {d.fmt_ms((ch.get('fresh') or {}).get('p95'))} · seen median "
                              f"{d.fmt_ms((ch.get('seen') or {}).get('median'))} "
                              f"p95 {d.fmt_ms((ch.get('seen') or {}).get('p95'))} · probe {probe:.0f} ms · RSS {mem['rss_mb']:.0f} MB "
                              f"(tree of {mem['processes']}: RSS {mem['tree_rss_mb']:.0f}, PSS {mem['tree_pss_mb']:.0f} MB)"
                              + (f" · ERRORS {ch['errors']}" if ch.get("errors") else ""), flush=True)
                finally:
                    context.close()
            result["memory"].append({"at": "end", **d.proc_memory_mb(app.proc.pid)})
            result["peak_rss_mb"] = result["memory"][-1]["peak_rss_mb"]
            result["tree_peak_mb"] = result["memory"][-1]["tree_peak_mb"]
            result["tree_pss_max_mb"] = max(m["tree_pss_mb"] or 0 for m in result["memory"])
            errs = [ln for ln in app.log_text().splitlines() if "ERROR" in ln or "Traceback" in ln]
            result["server_log_errors"] = errs[:20]
        finally:
            d.stop_app(app)
            browser.close()
    return result


def print_table(result: dict) -> None:
    print()
    print(f"Cold start to first plot: {result['cold_start']['first_plot_s']} s (R app {d.R_COLD_START_S} s); "
          f"server peak RSS {result.get('peak_rss_mb', 0):.0f} MB, with its figure workers: PSS max "
          f"{result.get('tree_pss_max_mb', 0):.0f} MB, peak RSS sum {result.get('tree_peak_mb', 0):.0f} MB "
          f"(R app {d.R_RSS_ONE_PAGE_MB} MB after one page)")
    print()
    print("| board/view | open first | open median / p95 | control | change median / p95 | seen median / p95 "
          "| probe | R first | R change |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key, e in result["views"].items():
        vid = key.split("/", 1)[1]
        rb = d.R_BASELINE.get(vid)
        f, s = e.get("fresh") or {}, e.get("seen") or {}
        print(f"| {key} | {d.fmt_ms(e['open_first_ms'])} | {d.fmt_ms(e['open']['median'])} / "
              f"{d.fmt_ms(e['open']['p95'])} | {e.get('control')} | {d.fmt_ms(f.get('median'))} / "
              f"{d.fmt_ms(f.get('p95'))}{same_note(e)} | {d.fmt_ms(s.get('median'))} / {d.fmt_ms(s.get('p95'))} | "
              f"{d.fmt_ms(e.get('probe_ms'))} | "
              f"{rb[0] if rb else '—'} | {rb[1] if rb else '—'} |")


def same_note(e: dict) -> str:
    """How many fresh changes gave the very figures shown (a figure is named by its content)."""
    n = e.get("fresh_unchanged") or 0
    return f" ({n} same figure)" if n else ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=d.REPO / "data", help="snapshot folder (default: data/)")
    ap.add_argument("--reps", type=int, default=10, help="control changes per view and case (>= 10)")
    ap.add_argument("--open-reps", type=int, default=10, help="fresh sessions opening every tab")
    ap.add_argument("--only", nargs="*", help="time control changes of these view ids only")
    ap.add_argument("--boards", nargs="*", help="boards to time (default: all)")
    ap.add_argument("--label", default="views", help="name of the JSON file in benchmarks/results/")
    args = ap.parse_args(argv)
    result = run(args.data.resolve(), args.reps, args.open_reps, args.only, label=args.label, boards=args.boards)
    print_table(result)
    path = d.write_json(args.label, result)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
