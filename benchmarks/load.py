"""N concurrent sessions changing controls for a fixed time (issue 8): errors, latency, RSS.

The sessions are websocket clients speaking Shiny's protocol (asyncio + ``websockets``, all
in this one process), not browser pages: 25 Chromium pages would take most of this
2-core machine away from the server being measured, while the server does the same work
for either (the browser only decodes the PNGs). ``benchmarks/views.py`` covers the browser.

What a session does, as shiny.js would: connect to ``/websocket/``, send ``init`` with the
board, the tab and its view's outputs visible (``.clientdata_output_<id>_hidden: false``),
bind the controls the server renders (date range, radio buttons, checkbox groups: their
initial values are sent back, as the browser binds them), then in a loop: change one
control to a value from a small per-control pool (``--values`` distinct values, the
control's own default among them), wait until the server is idle again with new plots,
think ``--think`` seconds. Every ``--session-changes`` changes it closes and opens a new
session (so the run goes through many sessions, for leaks). Sessions are spread over the
views with plots on both boards (``--boards``).

Latency = from sending the change to the values message that follows the ``busy: idle``
ending its processing (every plot of the view re-sent by then) and the new figures it names
fetched from their URLs (each session fetches a URL once, as a browser's cache). Errors: output errors, failure messages in a plot, no
answer within ``--timeout`` s, broken connections. The server's RSS is read from
/proc every second; the trend is the least-squares slope after ``--warmup`` seconds.

    .venv/bin/python benchmarks/load.py                       # 25 sessions, 60 s
    .venv/bin/python benchmarks/load.py --sessions 10 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import html
import json
import random
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _appdriver as d  # noqa: E402

FAILURE_WORDS = ("could not be drawn", "error was logged", "Traceback")
TAG = re.compile(r"<(div|input)\b[^>]*>", re.I)
ATTR = re.compile(r'([\w:-]+)="([^"]*)"')


def parse_controls(markup: str, view: str) -> dict[str, dict]:
    """The date ranges, radio groups and checkbox groups in a rendered controls output."""
    controls: dict[str, dict] = {}
    current = None
    for m in TAG.finditer(markup):
        attrs = {k: html.unescape(v) for k, v in ATTR.findall(m.group(0))}
        cls = attrs.get("class", "")
        if m.group(1).lower() == "div" and attrs.get("id", "").startswith(view + "-"):
            if "shiny-date-range-input" in cls:
                current = controls.setdefault(attrs["id"], {"kind": "daterange", "value": []})
            elif "shiny-input-radiogroup" in cls:
                current = controls.setdefault(attrs["id"], {"kind": "radio", "options": [], "value": None})
            elif "shiny-input-checkboxgroup" in cls:
                current = controls.setdefault(attrs["id"], {"kind": "checkboxgroup", "options": [], "value": []})
            else:
                current = None
            continue
        if m.group(1).lower() != "input" or current is None:
            continue
        if current["kind"] == "daterange" and "data-initial-date" in attrs:
            current["value"].append(attrs["data-initial-date"])
        elif current["kind"] in ("radio", "checkboxgroup") and "value" in attrs:
            current["options"].append(attrs["value"])
            if "checked" in attrs or re.search(r"\schecked\b", m.group(0)):
                if current["kind"] == "radio":
                    current["value"] = attrs["value"]
                else:
                    current["value"].append(attrs["value"])
    return {k: c for k, c in controls.items()
            if (c["kind"] == "daterange" and len(c["value"]) == 2) or (c["kind"] != "daterange" and c["options"])}


def page_controls(url: str) -> tuple[str | None, str]:
    """The board the app's page opens on and the page's markup: the page holds that board's
    controls (drawn in by the app), whose values a browser sends with its first message."""
    with urllib.request.urlopen(url, timeout=30) as resp:
        markup = resp.read().decode("utf-8")
    for m in re.finditer(r"<input\b[^>]*>", markup, re.I):
        attrs = dict(ATTR.findall(m.group(0)))
        if attrs.get("name") == "board" and re.search(r"\schecked\b", m.group(0)):
            return attrs.get("value"), markup
    return None, markup


def value_pool(c: dict, n: int) -> list:
    """``n`` values of a control, its default first (shared by every session)."""
    if c["kind"] == "daterange":
        start, end = dt.date.fromisoformat(c["value"][0]), dt.date.fromisoformat(c["value"][1])
        step = max(1, (end - start).days // (2 * n))
        return [[(start + dt.timedelta(days=step * i)).isoformat(), c["value"][1]] for i in range(n)]
    if c["kind"] == "radio":
        return ([c["value"]] + [o for o in c["options"] if o != c["value"]])[:n]
    sel = list(c["value"])
    return ([sel] + [[v for v in sel if v != drop] for drop in sel[:n - 1] if len(sel) > 1])[:n]


def wire_name(cid: str, c: dict) -> str:
    return f"{cid}:shiny.date" if c["kind"] == "daterange" else cid


def _fetch(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read()


class Session:
    """One Shiny session over a websocket."""

    def __init__(self, ws_url: str, board: str, view, timeout: float, in_page: dict | None = None):
        self.ws_url, self.board, self.view, self.timeout = ws_url, board, view, timeout
        self.in_page = in_page  # the view's controls as the page holds them (its board only)
        self.values: dict = {}
        self.errors: list[str] = []
        self.loaded: set[str] = set()  # figure URLs this session fetched (a browser's cache)

    async def __aenter__(self):
        import websockets

        self.ws = await websockets.connect(self.ws_url, max_size=None, open_timeout=self.timeout)
        first = json.loads(await asyncio.wait_for(self.ws.recv(), self.timeout))
        if "config" not in first:
            raise RuntimeError(f"expected config, got {str(first)[:100]}")
        v = self.view.ID
        visible = [f"{v}-plot_{w}" for w in self.view.FIGURES] + [f"{v}-controls", f"{v}-board_marker"]
        data = {"board": self.board, "tab": v, f"{v}-controls_board": self.board, f"{v}-figure_format": "png",
                ".clientdata_pixelratio": 1, ".clientdata_url_search": ""}
        data.update({f".clientdata_output_{o}_hidden": False for o in visible})
        if self.in_page:  # as the browser: the page's controls are bound before the first message
            data.update({wire_name(cid, c): c["value"] for cid, c in self.in_page.items()})
        await self.ws.send(json.dumps({"method": "init", "data": data}))
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()

    async def until_idle(self) -> None:
        """Read messages until the server was busy, went idle, and sent the cycle's values."""
        busy = idle = False
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer within {self.timeout}s")
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            for oid, err in (msg.get("errors") or {}).items():
                self.errors.append(f"{oid}: {str(err)[:120]}")
            for oid, val in (msg.get("values") or {}).items():
                self.values[oid] = val
                markup = val.get("html", "") if isinstance(val, dict) else str(val)
                if oid.startswith(f"{self.view.ID}-plot_") and any(w in markup for w in FAILURE_WORDS):
                    self.errors.append(f"{oid}: failure message")
            if msg.get("busy") == "busy":
                busy = True
            elif msg.get("busy") == "idle" and busy:
                idle = True
            elif idle and "values" in msg:
                return

    def plot_keys(self) -> list[str]:
        out = []
        for w in self.view.FIGURES:
            val = self.values.get(f"{self.view.ID}-plot_{w}")
            markup = val.get("html", "") if isinstance(val, dict) else ""
            m = re.search(r'data-key="([0-9a-f]+)"', markup)
            out.append(m.group(1) if m else ("msg" if "llmtrends-message" in markup else "-"))
        return out

    async def load_figures(self) -> None:
        """Fetch the figures the plots name that this session has not fetched yet, as a
        browser does after the HTML arrives (it keeps the others: they are immutable)."""
        base = self.ws_url.replace("ws://", "http://", 1).removesuffix("websocket/")
        for w in self.view.FIGURES:
            val = self.values.get(f"{self.view.ID}-plot_{w}")
            m = re.search(r'src="(figures/[0-9a-f]+\.png)"', val.get("html", "") if isinstance(val, dict) else "")
            if m and m.group(1) not in self.loaded:
                await asyncio.to_thread(_fetch, base + m.group(1), self.timeout)
                self.loaded.add(m.group(1))

    async def bind_controls(self) -> dict[str, dict]:
        """Wait for the controls, send their initial values (as the browser binds them).
        Controls the page held were sent with the first message: only wait for the plots."""
        await self.until_idle()
        if self.in_page:
            return self.in_page
        val = self.values.get(f"{self.view.ID}-controls")
        markup = val.get("html", "") if isinstance(val, dict) else ""
        controls = parse_controls(markup, self.view.ID)
        if controls:
            await self.ws.send(json.dumps({"method": "update", "data": {
                wire_name(cid, c): c["value"] for cid, c in controls.items()}}))
            await self.until_idle()
        return controls


async def client(i: int, args, ws_url: str, targets: list, deadline: float, stats: dict, pools: dict) -> None:
    rng = random.Random(i)
    k = i
    while time.monotonic() < deadline:
        board, view = targets[k % len(targets)]
        try:
            in_page = pools["page"][1].get(view.ID) if board == pools["page"][0] else None
            async with Session(ws_url, board, view, args.timeout, in_page) as s:
                stats["sessions"] += 1
                controls = await s.bind_controls()
                if not controls:  # only select-type controls (selectize): not driven here
                    stats["not_driven"].add(f"{board}/{view.ID}")
                    k += 1
                    continue
                for _ in range(args.session_changes):
                    if time.monotonic() >= deadline:
                        break
                    cid = rng.choice(sorted(controls))
                    pool = pools.setdefault((board, cid), value_pool(controls[cid], args.values))
                    value = rng.choice(pool)
                    t0 = time.monotonic()
                    await s.ws.send(json.dumps({"method": "update", "data": {wire_name(cid, controls[cid]): value}}))
                    await s.until_idle()
                    await s.load_figures()
                    stats["latency"].append((t0 - stats["t0"], (time.monotonic() - t0) * 1000, f"{board}/{view.ID}"))
                    stats["changes"] += 1
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)
                stats["errors"].extend(f"{board}/{view.ID}: {e}" for e in s.errors)
        except Exception as exc:  # noqa: BLE001 -- counted and reported, never hidden
            stats["errors"].append(f"{board}/{view.ID}: {type(exc).__name__}: {str(exc)[:150]}")
            await asyncio.sleep(1)


async def sample_rss(pid: int, stats: dict, stop: asyncio.Event) -> None:
    while not stop.is_set():
        mem = d.proc_memory_mb(pid)
        t = round(time.monotonic() - stats["t0"], 1)
        stats["rss"].append((t, mem["rss_mb"]))
        stats["pss"].append((t, mem["tree_pss_mb"]))  # with the figure workers
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except asyncio.TimeoutError:
            pass


def slope_mb_per_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) points, in MB per minute."""
    pts = [(t, m) for t, m in points if m is not None]
    if len(pts) < 3:
        return None
    n = len(pts)
    mt = sum(t for t, _ in pts) / n
    mm = sum(m for _, m in pts) / n
    var = sum((t - mt) ** 2 for t, _ in pts)
    return None if var == 0 else round(60 * sum((t - mt) * (m - mm) for t, m in pts) / var, 2)


async def run_load(args, app: d.App) -> dict:
    from llmtrends.pipeline import store
    from llmtrends.views import VIEWS

    snaps, _ = store.load_snapshots(args.data)
    boards = [b for b in (args.boards or list(snaps)) if b in snaps]
    targets = []
    for view in VIEWS:
        for b in boards:
            if not view.FIGURES:
                continue
            try:
                view.table(snaps[b], view.Params.defaults(snaps[b]))
            except Exception:  # noqa: BLE001 -- a view this board cannot show (CO2 on v1)
                continue
            targets.append((b, view))
    del snaps
    stats = {"t0": time.monotonic(), "latency": [], "errors": [], "rss": [], "pss": [], "sessions": 0, "changes": 0,
             "not_driven": set()}
    ws_url = app.url.replace("http://", "ws://") + "websocket/"
    deadline = stats["t0"] + args.duration
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(app.proc.pid, stats, stop))
    page_board, markup = page_controls(app.url)
    pools: dict = {"page": (page_board, {view.ID: parse_controls(markup, view.ID) for _, view in targets})}
    tasks = [asyncio.create_task(client(i, args, ws_url, targets, deadline, stats, pools)) for i in range(args.sessions)]
    # bounded: every session stops changing at the deadline; a last answer may take --timeout
    done, pending = await asyncio.wait(tasks, timeout=args.duration + args.timeout + 10)
    for t in pending:
        t.cancel()
    if pending:
        stats["errors"].append(f"sessions still running at the hard stop: {len(pending)}")
    await asyncio.sleep(5)  # sessions closed: does memory come back?
    stop.set()
    await sampler
    after = d.proc_memory_mb(app.proc.pid)
    lat = [ms for _, ms, _ in stats["latency"]]
    steady = [ms for t, ms, _ in stats["latency"] if t >= args.warmup]
    per_target: dict[str, list] = {}
    for _, ms, key in stats["latency"]:
        per_target.setdefault(key, []).append(ms)
    return {
        "sessions_concurrent": args.sessions, "duration_s": args.duration, "think_s": args.think,
        "values_per_control": args.values, "session_changes": args.session_changes, "warmup_s": args.warmup,
        "targets": [f"{b}/{v.ID}" for b, v in targets],
        "sessions_opened": stats["sessions"], "changes": stats["changes"],
        "not_driven": sorted(stats["not_driven"]),
        "errors": stats["errors"], "error_count": len(stats["errors"]),
        "latency_all": d.summary(lat), "latency_after_warmup": d.summary(steady),
        "latency_per_view": {k: d.summary(v) for k, v in sorted(per_target.items())},
        "rss_series": stats["rss"],
        "rss_slope_after_warmup_mb_per_min": slope_mb_per_min([p for p in stats["rss"] if p[0] >= args.warmup]),
        "rss_max_mb": max((m for _, m in stats["rss"] if m is not None), default=None),
        "rss_after_close_mb": after["rss_mb"], "peak_rss_mb": after["peak_rss_mb"],
        "tree_pss_series": stats["pss"],
        "tree_pss_slope_after_warmup_mb_per_min": slope_mb_per_min([p for p in stats["pss"] if p[0] >= args.warmup]),
        "tree_pss_max_mb": max((m for _, m in stats["pss"] if m is not None), default=None),
        "tree_pss_after_close_mb": after["tree_pss_mb"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=d.REPO / "data")
    ap.add_argument("--sessions", type=int, default=25, help="concurrent sessions (default 25)")
    ap.add_argument("--duration", type=float, default=60, help="seconds of changes (default 60)")
    ap.add_argument("--think", type=float, default=1.0, help="mean pause between a session's changes (s)")
    ap.add_argument("--values", type=int, default=3, help="distinct values per control, default included")
    ap.add_argument("--session-changes", type=int, default=10, help="changes before a session reconnects")
    ap.add_argument("--warmup", type=float, default=20, help="seconds left out of the steady-state numbers")
    ap.add_argument("--timeout", type=float, default=60, help="seconds to wait for one answer")
    ap.add_argument("--boards", nargs="*", help="boards to spread sessions over (default: all)")
    ap.add_argument("--label", default="load")
    args = ap.parse_args(argv)
    args.data = args.data.resolve()
    if args.sessions < 1 or args.duration <= 0 or args.sessions > 200 or args.duration > 1800:
        ap.error("--sessions must be 1..200 and --duration 0..1800 s")
    tmp = Path(tempfile.mkdtemp(prefix="llmtrends-load-"))
    app = d.start_app(args.data, tmp)
    try:
        start_mem = d.proc_memory_mb(app.proc.pid)
        result = asyncio.run(run_load(args, app))
        result["rss_at_start_mb"] = start_mem["rss_mb"]
        result["tree_pss_at_start_mb"] = start_mem["tree_pss_mb"]
        result["machine"] = d.machine()
        errs = [ln for ln in app.log_text().splitlines() if " ERROR " in ln or "Traceback" in ln]
        result["server_log_errors"] = errs[:20]
    finally:
        d.stop_app(app)
    la, ls = result["latency_all"], result["latency_after_warmup"]
    print(f"{args.sessions} concurrent sessions for {args.duration:.0f} s ({result['sessions_opened']} sessions "
          f"opened, {result['changes']} control changes over {len(result['targets'])} view/board pairs; not driven, select-only controls: {', '.join(result['not_driven']) or 'none'})")
    print(f"errors: {result['error_count']}" + (f" e.g. {result['errors'][:3]}" if result["errors"] else ""))
    print(f"latency (ms): all p50 {d.fmt_ms(la['median'])} p95 {d.fmt_ms(la['p95'])} max {d.fmt_ms(la['max'])}; "
          f"after {args.warmup:.0f} s warm-up p50 {d.fmt_ms(ls['median'])} p95 {d.fmt_ms(ls['p95'])}")
    print(f"server RSS (MB): start {result['rss_at_start_mb']:.0f}, max {result['rss_max_mb']:.0f}, "
          f"after sessions closed {result['rss_after_close_mb']:.0f}, peak (VmHWM) {result['peak_rss_mb']:.0f}; "
          f"slope after warm-up {result['rss_slope_after_warmup_mb_per_min']} MB/min")
    print(f"with the figure workers, PSS (MB): start {result['tree_pss_at_start_mb']:.0f}, max "
          f"{result['tree_pss_max_mb']:.0f}, after sessions closed {result['tree_pss_after_close_mb']:.0f}; "
          f"slope after warm-up {result['tree_pss_slope_after_warmup_mb_per_min']} MB/min")
    print(f"server log errors: {len(result['server_log_errors'])}")
    print(f"wrote {d.write_json(args.label, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
