"""Count the lines of the app's machinery at one or more git revisions (issue 25).

The *machinery* is the code whose job is speed, caching, process management, memory or
not sending the page what it has already: not what the app shows or computes, but how
fast and how cheaply it does so. It is listed below (:data:`MACHINERY`), by file, and
within a file by the top-level (or nested, ``outer.inner``) functions, classes and
assignments that are machinery; ``~text`` counts every statement, at any depth, whose
first line holds ``text`` (blocks such as ``if DEFER_WORKERS:``). A whole file counts
every line; a definition counts its lines from its first decorator to its end. The
list names what existed at 2772b8a (when issue 25 was filed) and what was added since,
under the old and the new paths, so one list counts every revision: a name a revision
lacks counts 0.

Not counted, and why: ``llmtrends/serving/sendqueue.py`` (issue 26: it keeps one stalled browser
from freezing every session, a fix, not speed) and ``llmtrends/serving/live.py`` (issue 20: new
snapshots without a restart, a feature). Runtime lines, for the share: ``app.py``,
``modules/``, ``llmtrends/`` (``.py``) and ``www/*.js``.

    python benchmarks/machinery.py 2772b8a HEAD          # a table per revision and the totals
    python benchmarks/machinery.py --detail HEAD         # every item's count
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

WHOLE = "*"
MACHINERY: dict[str, list[str]] = {
    # --- before issue 25 (flat layout)
    "llmtrends/_forkserver.py": [WHOLE],  # the fork server's warm-up
    "llmtrends/workers.py": [WHOLE],  # hand-made process pool: restarts, deferred start, watchdog
    "llmtrends/memory.py": [WHOLE],  # malloc_trim of idle workers
    "llmtrends/figstore.py": [WHOLE],  # figures on disk keyed by a code fingerprint, first-tab marker
    "llmtrends/cache.py": [WHOLE],  # four cache classes; then three on one cachetools LRU
    "llmtrends/speedups.py": [WHOLE],  # same-result patches of pandas and matplotlib
    "modules/shiny_speedups.py": [WHOLE],  # same-result patches of py-shiny
    "www/app.js": [WHOLE],  # the page keeps figures; the server sends their keys
    "llmtrends/render.py": ["FigureCache", "warm_up", "_LOCK"],
    "llmtrends/config.py": ["prewarm", "render_workers", "figure_store", "first_tab_stored", "speedups"],
    "app.py": ["DEFER_WORKERS", "~if not DEFER_WORKERS", "~if DEFER_WORKERS", "~config.prewarm()",
               "~speedups.install()", "~shiny_speedups.install()", "~gc.freeze()", "JS",
               "WORKERS_AFTER_TAB_S", "WORKERS_AT_THE_LATEST_S", "_DEFAULT_PANELS", "_default_panel",
               "_DEFAULT_PAGE", "_default_page"],
    "modules/common.py": ["FIGURES", "RENDERER", "_WAIT_POOL", "TABLES", "SHOWN", "_table_key", "_table",
                          "_figure_key", "_INFLIGHT", "_LAST_RENDER", "PREWARM_QUIET_S", "PREWARM_START_S",
                          "PREWARM_MAX_WAIT_S", "TAB_OPENED", "_mark_activity", "_sessions_quiet",
                          "_figure_future", "_shown_key", "_from_store", "prewarm", "serve_stored", "PAGE_KEEPS",
                          "_plot_img",
                          "in_page", "drawn_in_page", "serve_view.make_plot.page_reuses", "~_missing",
                          "~TAB_OPENED.set()", "~_mark_activity()", "~sent = lcache"],
    "llmtrends/views/common.py": ["per_board", "figure_table", "_DRAWN", "drawn", "drawn_facts", "figure_rows",
                                  "Presorted", "presort", "real_days", "group_sizes"],
    "modules/explorer.py": ["SerializedGrid", "data_grid", "PROBE_ROWS"],
    "llmtrends/views/explorer.py": ["_json_rows", "_board_grid", "_CACHE_LOCK"],
    # --- after issue 25; a path a revision lacks counts 0
    "llmtrends/figure_urls.py": [WHOLE],  # content keys and the figures/<key>.png route
    "llmtrends/default_figures.py": [WHOLE],  # default figures drawn by the build, read at start
    "llmtrends/serving/cache.py": [WHOLE],  # one LRU (cachetools) + one single-flight layer
    "llmtrends/serving/_forkserver.py": [WHOLE],  # (the sub-package layout: the same files, moved)
    "llmtrends/serving/memory.py": [WHOLE],
    "llmtrends/serving/figure_urls.py": [WHOLE],
    "llmtrends/serving/default_figures.py": [WHOLE],
    "llmtrends/serving/workers.py": [WHOLE],  # concurrent.futures.ProcessPoolExecutor
    "llmtrends/serving/speedups.py": [WHOLE],
    "llmtrends/serving/render.py": ["_LOCK", "warm_up"],
    "llmtrends/views/periods.py": ["Presorted", "presort", "group_sizes"],  # (views/common.py split by concern)
    "llmtrends/views/selection.py": ["per_board", "real_days"],
    "llmtrends/views/provenance.py": ["figure_table", "_DRAWN", "drawn", "drawn_facts", "figure_rows"],
    "modules/serving.py": [WHOLE],  # the caches, the workers, figure URLs, the stored defaults (split from common)
}
RUNTIME_ROOTS = ("app.py", "modules", "llmtrends", "www")


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout


def read(rev: str, path: str) -> str | None:
    try:
        return git("show", f"{rev}:{path}")
    except subprocess.CalledProcessError:
        return None


def runtime_files(rev: str) -> list[str]:
    files = git("ls-tree", "-r", "--name-only", rev, "--", *RUNTIME_ROOTS).split()
    return [f for f in files if f.endswith(".py") or (f.startswith("www/") and f.endswith(".js"))]


def _span(node: ast.AST) -> tuple[int, int]:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first, node.end_lineno


def _named(body: list[ast.stmt], name: str) -> ast.AST | None:
    head, _, rest = name.partition(".")
    for node in body:
        names = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names = [node.target.id]
        if head in names:
            return _named(node.body, rest) if rest else node
    for node in body:  # a nested definition inside a function body's statements
        if rest == "" and hasattr(node, "body") and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                           ast.ClassDef)):
            found = _named(node.body, name)
            if found is not None:
                return found
    return None


def _matching(tree: ast.Module, lines: list[str], text: str) -> list[tuple[int, int]]:
    """Statements (any depth) whose first line holds ``text``, outermost only."""
    out: list[tuple[int, int]] = []

    def walk(body):
        for node in body:
            if not isinstance(node, ast.stmt):
                continue
            if text in lines[node.lineno - 1]:
                out.append(_span(node))
                continue
            for field in ("body", "orelse", "finalbody", "handlers"):
                walk(getattr(node, field, []) or [])

    walk(tree.body)
    return out


def count(rev: str, detail: bool = False) -> dict:
    items, covered = [], {}
    for path, names in MACHINERY.items():
        path = path.strip()
        if not names:
            continue
        text = read(rev, path)
        if text is None:
            continue
        lines = text.splitlines()
        if names == [WHOLE]:
            covered[path] = set(range(1, len(lines) + 1))
            items.append((path, WHOLE, len(lines)))
            continue
        tree = ast.parse(text)
        seen = covered.setdefault(path, set())
        for name in names:
            spans = _matching(tree, lines, name[1:]) if name.startswith("~") else \
                [_span(n) for n in [_named(tree.body, name)] if n is not None]
            got = set()
            for a, b in spans:
                got |= set(range(a, b + 1))
            items.append((path, name, len(got - seen)))
            seen |= got
    runtime = runtime_files(rev)
    total = sum(len((read(rev, f) or "").splitlines()) for f in runtime)
    machinery = sum(len(v) for v in covered.values())
    return {"rev": rev, "items": items, "machinery": machinery, "runtime": total}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("revs", nargs="*", default=["HEAD"], help="git revisions (default HEAD)")
    ap.add_argument("--detail", action="store_true", help="every item's count")
    args = ap.parse_args(argv)
    results = [count(rev) for rev in args.revs]
    if args.detail:
        for r in results:
            print(f"\n{r['rev']}:")
            for path, name, n in r["items"]:
                if n:
                    print(f"  {n:5d}  {path}  {name if name != WHOLE else '(whole file)'}")
    print("\n| revision | machinery lines | runtime lines | share |")
    print("|---|---|---|---|")
    for r in results:
        print(f"| {r['rev']} | {r['machinery']:,} | {r['runtime']:,} | {r['machinery'] / r['runtime']:.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
