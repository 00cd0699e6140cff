#!/usr/bin/env python
"""One client stops reading its websocket: how long do the other sessions wait? (issue 26)

Starts the app on 127.0.0.1 (fronted as ``--front`` says), opens ``--victims`` ordinary
sessions (Model Type Popularity on v1, both aggregations drawn once), then a
:class:`tests.stalled_client.StalledClient` that opens the Model Explorer on v1, toggles
"include undated" four times (four grids of ~2 MB each, more than the kernel buffers
between it and the server hold) and never reads again. It stays connected ``--hold`` s.
Meanwhile every victim changes its aggregation every 0.5 s and waits for the plot; the
script prints each victim's worst wait, how many changes answered, whether the server
had closed the stalled client by the end and the app's log line when it gave it up.

Fronts:

* ``shiny``: ``python -m shiny run app.py`` (what the tests and the Dockerfile run);
* ``uvicorn-ping``: ``python -m uvicorn app:app`` with websocket pings every
  ``--ping`` s and a pong timeout of ``--ping`` s (uvicorn's defaults are 20 s / 20 s);
* ``nginx``: ``scripts/serve.py`` behind Debian's nginx with the shipped
  ``deploy/nginx/llmtrends.conf`` (listen/upstream rewritten), every client through nginx;
* ``workers``: ``python -m uvicorn app:app --workers 2`` (sessions spread over two
  processes, each with its own lock).

``--queue on|off`` sets ``LLMTRENDS_WS_QUEUE`` (the per-client send queues of
llmtrends/serving/sendqueue.py), ``--stall`` ``LLMTRENDS_WS_STALL_S``. Nothing here asserts on
time; results go to stdout and benchmarks/results/stalled_client-*.json.

    .venv/bin/python benchmarks/stalled_client.py --front shiny --queue off --hold 45
    .venv/bin/python benchmarks/stalled_client.py --front nginx --queue on --hold 45
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from websockets.sync.client import connect  # noqa: E402

from benchmarks import _appdriver as d  # noqa: E402
from llmtrends.pipeline import store  # noqa: E402
from llmtrends.views import selection  # noqa: E402
from tests.shinyproto import ShinyWire, is_plot  # noqa: E402
from tests.stalled_client import StalledClient  # noqa: E402
from tests.test_nginx_proxy import NGINX, main_config, site_config, stop, wait_for_http  # noqa: E402

NS = "type_popularity"
PLOT = f"{NS}-plot_counts"


def victim_inputs(snap) -> dict:
    return {"board": "v1", "tab": NS, f"{NS}-dates:shiny.date": ["2023-06-01", "2023-12-31"],
            f"{NS}-types": list(selection.present_types(snap.models)), f"{NS}-aggregation": "month",
            f"{NS}-figure_format": "png"}


class Victim(threading.Thread):
    def __init__(self, ws_url: str, snap, until: float, timeout_s: float):
        super().__init__(daemon=True)
        self.ws_url, self.snap, self.until, self.timeout_s = ws_url, snap, until, timeout_s
        self.waits: list[float] = []
        self.failure: str | None = None
        self.ready = threading.Event()
        self.go = threading.Event()

    def run(self) -> None:
        try:
            with connect(self.ws_url, open_timeout=60, max_size=None) as ws:
                wire = ShinyWire(ws.send, lambda: ws.recv(timeout=self.timeout_s))
                wire.init(victim_inputs(self.snap), [PLOT, f"{NS}-plot_shares", f"{NS}-controls",
                                                     f"{NS}-board_marker", f"{NS}-provenance"])
                wire.wait_for(PLOT, is_plot)
                for agg in ("week", "month"):  # both figures drawn: later changes are cache hits
                    wire.forget(PLOT)
                    wire.update({f"{NS}-aggregation": agg})
                    wire.wait_for(PLOT, is_plot)
                self.ready.set()
                self.go.wait()
                i = 0
                while time.monotonic() < self.until:
                    time.sleep(0.5)
                    i += 1
                    started = time.monotonic()
                    wire.forget(PLOT)
                    wire.update({f"{NS}-aggregation": ("week", "month")[i % 2]})
                    wire.wait_for(PLOT, is_plot)
                    self.waits.append(time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001 -- reported, not raised: the thread's result
            self.failure = f"{type(exc).__name__}: {str(exc)[:100]}"
        finally:
            self.ready.set()


def start(front: str, data: Path, work: Path, env_extra: dict, ping: float) -> tuple[str, list, Path]:
    """Start the server (and nginx); returns (http url, processes to stop, app log)."""
    env = dict(os.environ, LLMTRENDS_DATA=str(data), PYTHONUNBUFFERED="1", **env_extra)
    env.pop("LLMTRENDS_BOARD", None)
    port = d.free_port()
    log_path = work / f"app-{front}.log"
    if front == "shiny":
        cmd = [sys.executable, "-m", "shiny", "run", "app.py", "--host", "127.0.0.1", "--port", str(port)]
    elif front in ("uvicorn-ping", "workers"):
        cmd = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)]
        cmd += (["--ws-ping-interval", str(ping), "--ws-ping-timeout", str(ping)] if front == "uvicorn-ping"
                else ["--workers", "2"])
    elif front == "nginx":
        env.update(LLMTRENDS_HOST="127.0.0.1", LLMTRENDS_PORT=str(port))
        cmd = [sys.executable, str(REPO / "scripts" / "serve.py")]
    else:
        raise SystemExit(f"unknown front {front!r}")
    with open(log_path, "w", encoding="utf-8") as log:
        app = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    procs = [app]
    wait_for_http(f"http://127.0.0.1:{port}/", app, log_path, "the app")
    if front != "nginx":
        return f"http://127.0.0.1:{port}/", procs, log_path
    listen = d.free_port()
    prefix = work / "nginx"
    for sub in ("logs", "sites", "tmp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    (prefix / "sites" / "llmtrends.conf").write_text(site_config(port, listen), encoding="utf-8")
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(prefix), encoding="utf-8")
    nginx_log = prefix / "logs" / "stderr.log"
    with open(nginx_log, "w", encoding="utf-8") as log:
        nginx = subprocess.Popen([str(NGINX), "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                                 stdout=log, stderr=subprocess.STDOUT)
    procs.insert(0, nginx)
    wait_for_http(f"http://127.0.0.1:{listen}/", nginx, nginx_log, "nginx")
    return f"http://127.0.0.1:{listen}/", procs, log_path


def stop_all(procs: list) -> None:
    for proc in procs:
        stop(proc)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="snapshot folder with v1 (LLMTRENDS_DATA)")
    p.add_argument("--front", default="shiny", choices=["shiny", "uvicorn-ping", "nginx", "workers"])
    p.add_argument("--queue", default="on", choices=["on", "off"])
    p.add_argument("--stall", type=float, default=None, help="LLMTRENDS_WS_STALL_S (default: the app's)")
    p.add_argument("--ping", type=float, default=2.0, help="uvicorn-ping: ping interval and timeout (s)")
    p.add_argument("--hold", type=float, default=45.0, help="seconds the stalled client stays connected")
    p.add_argument("--victims", type=int, default=2)
    args = p.parse_args()
    snap = store.read_snapshot(args.data, "v1")
    env = {"LLMTRENDS_WS_QUEUE": "1" if args.queue == "on" else "0"}
    if args.stall is not None:
        env["LLMTRENDS_WS_STALL_S"] = str(args.stall)
    with tempfile.TemporaryDirectory(prefix="llmtrends-stall-") as tmp:
        url, procs, log_path = start(args.front, args.data, Path(tmp), env, args.ping)
        ws_url = url.replace("http://", "ws://") + "websocket/"
        try:
            victims = [Victim(ws_url, snap, until=0, timeout_s=args.hold + 60) for _ in range(args.victims)]
            for v in victims:
                v.start()
            for v in victims:
                v.ready.wait()
            t0 = time.monotonic()
            staller = StalledClient(ws_url)
            staller.stall_on_explorer(snap)
            for v in victims:
                v.until = t0 + args.hold
                v.go.set()
            time.sleep(max(0.0, t0 + args.hold - time.monotonic()))
            closed = staller.server_closed()  # reads what is left: only once the hold is over
            staller.close()
            for v in victims:
                v.join(timeout=args.hold + 90)
            log = log_path.read_text(encoding="utf-8", errors="replace")
        finally:
            stop_all(procs)
    rows = []
    for i, v in enumerate(victims):
        worst = max(v.waits) if v.waits else None
        rows.append({"victim": i, "changes": len(v.waits), "worst_s": None if worst is None else round(worst, 2),
                     "failure": v.failure})
    result = {"front": args.front, "queue": args.queue, "hold_s": args.hold, "stall_s": args.stall,
              "ping_s": args.ping if args.front == "uvicorn-ping" else None,
              "staller_closed_by_server": closed,
              "victims": rows, "gave_up_log": [line for line in log.splitlines() if "llmtrends.serving.sendqueue" in line],
              "git": d.git_rev(), "machine": d.machine()}
    print(f"front={args.front} queue={args.queue} hold={args.hold:g}s: server had closed the stalled "
          f"client by the end of the hold: {closed}")
    for r in rows:
        print(f"  victim {r['victim']}: {r['changes']} changes answered, worst wait {r['worst_s']} s"
              + (f", FAILED {r['failure']}" if r["failure"] else ""))
    for line in result["gave_up_log"]:
        print("  log:", line[:200])
    print(f"  results: {d.write_json('stalled_client', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
