"""Figure workers (issue 8): renders in worker processes are the renders of this process.

* every view's default figures on both boards, rendered by a worker, are byte-identical
  to the same figure rendered here (PNG; SVG and PDF for one view);
* two figures asked for at once render side by side: both workers are busy at the same
  time (their process ids differ, and the renders overlap in time);
* a worker killed while idle or mid-render: the figure is still delivered (the pool is
  started again), and the next figures too;
* workers=0 renders in this process; a pool whose workers cannot start falls back to it;
* an error raised by a figure reaches the caller as itself (not as a broken pool);
* a worker makes new string columns object columns (``speedups.use_object_strings``),
  the app process keeps pandas' string type;
* ``LLMTRENDS_RENDER_WORKERS`` parsing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from llmtrends import config
from llmtrends.pipeline import store
from llmtrends.serving import render, workers
from llmtrends.views import VIEWS, by_id
from llmtrends.views import inputs

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def snapshots(snapshot_dir):
    return {b: store.read_snapshot(snapshot_dir, b) for b in ("v1", "v2")}


@pytest.fixture(scope="module")
def pool():
    p = workers.RenderPool(2)
    p.start()
    yield p
    p.shutdown()


def _view_at_defaults(snapshots, view_id: str, board: str):
    """(view, params, table) at the view's defaults on a board."""
    view, snap = by_id(view_id), snapshots[board]
    params = view.Params.defaults(snap)
    return view, params, view.table(snap, params)


def _here(view, params, tbl, which: str) -> bytes:
    """The figure as PNG, rendered in this process."""
    return render.figure_bytes(view.figure(tbl, params, which), "png")


def _worker_pids(p: workers.RenderPool) -> list[int]:
    return sorted(p._executor._processes) if p._executor is not None else []


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_worker_renders_equal_in_process_renders(pool, snapshots, board):
    snap = snapshots[board]
    checked = 0
    for view in VIEWS:
        params = view.Params.defaults(snap)
        try:
            tbl = view.table(snap, params)
        except inputs.ViewError:
            continue
        for which in view.FIGURES:
            theirs = _here(view, params, tbl, which)
            ours = pool.render(view.ID, which, params, tbl, "png")
            assert ours == theirs, f"{board}/{view.ID}/{which}: worker and in-process renders differ"
            checked += 1
    assert checked >= 12


def test_workers_infer_object_strings_and_this_process_does_not(pool):
    import pandas as pd

    made_there = pool._pool().submit(pd.Series, ["a", "b"]).result()
    assert made_there.dtype == object  # created in a worker, with object strings
    here = pd.Series(["a", "b"]).dtype  # pandas' own type: str from pandas 3, object before
    assert (here == object) == (int(pd.__version__.split(".")[0]) < 3)


def test_worker_svg_and_pdf_equal_in_process(pool, snapshots):
    view, params, tbl = _view_at_defaults(snapshots, "type_popularity", "v2")
    for fmt in ("svg", "pdf"):
        theirs = render.figure_bytes(view.figure(tbl, params, "counts"), fmt, dpi=150)
        assert pool.render(view.ID, "counts", params, tbl, fmt, 150) == theirs


def _slow_render(seconds: float) -> tuple[int, float, float]:
    start = time.monotonic()
    while time.monotonic() - start < seconds:  # busy, as a render is
        pass
    return os.getpid(), start, time.monotonic()


def test_two_figures_render_side_by_side(pool):
    executor = pool._pool()
    futures = [executor.submit(_slow_render, 1.0) for _ in range(2)]
    (pid_a, start_a, end_a), (pid_b, start_b, end_b) = (f.result(timeout=60) for f in futures)
    assert pid_a != pid_b and os.getpid() not in (pid_a, pid_b)
    assert start_b < end_a and start_a < end_b, "the two renders did not overlap"


def _kill_a_worker(p: workers.RenderPool) -> int:
    pid = _worker_pids(p)[0]
    os.kill(pid, signal.SIGKILL)
    return pid


def test_a_killed_idle_worker_is_replaced(snapshots):
    p = workers.RenderPool(2)
    try:
        p.start()
        view, params, tbl = _view_at_defaults(snapshots, "official", "v2")
        expected = _here(view, params, tbl, "counts")
        killed = _kill_a_worker(p)
        time.sleep(0.5)
        assert p.render(view.ID, "counts", params, tbl) == expected
        assert p.render(view.ID, "ratios", params, tbl) == _here(view, params, tbl, "ratios")
        assert killed not in _worker_pids(p)
        assert p.workers == 2  # still rendering in workers, not in this process
    finally:
        p.shutdown()


def test_a_worker_killed_mid_render_still_delivers_the_figure(snapshots):
    p = workers.RenderPool(1)
    try:
        p.start()
        view, params, tbl = _view_at_defaults(snapshots, "type_popularity", "v1")
        expected = _here(view, params, tbl, "shares")
        got: list[bytes] = []
        t = threading.Thread(target=lambda: got.append(p.render(view.ID, "shares", params, tbl)))
        pid = _worker_pids(p)[0]
        t.start()
        time.sleep(0.05)  # the render has been handed to the worker
        os.kill(pid, signal.SIGKILL)
        t.join(timeout=120)
        assert got == [expected]
        assert p.restarts >= 1 and p.workers == 1
    finally:
        p.shutdown()


def test_no_workers_renders_in_this_process(snapshots):
    p = workers.RenderPool(0)
    view, params, tbl = _view_at_defaults(snapshots, "official", "v2")
    assert p.render(view.ID, "counts", params, tbl) == _here(view, params, tbl, "counts")
    assert p._executor is None


def _die_on_start(app_pid: int) -> None:
    os._exit(3)


class _DyingPool(workers.RenderPool):
    INITIALIZER = staticmethod(_die_on_start)  # every worker dies as it starts


def test_workers_that_keep_dying_fall_back_to_this_process(snapshots):
    p = _DyingPool(1)
    view, params, tbl = _view_at_defaults(snapshots, "official", "v2")
    expected = _here(view, params, tbl, "ratios")
    try:
        for _ in range(3):
            assert p.render(view.ID, "ratios", params, tbl) == expected
        assert p.workers == 0 and p._executor is None  # gave up on workers after three broken pools
        assert p.render(view.ID, "counts", params, tbl) == _here(view, params, tbl, "counts")
    finally:
        p.shutdown()


def test_a_figure_error_reaches_the_caller(pool, snapshots):
    view, params, tbl = _view_at_defaults(snapshots, "moe", "v2")
    with pytest.raises(inputs.InvalidInput, match="unknown plot"):
        pool.render(view.ID, "violin", params, tbl)
    assert pool.render(view.ID, "scatter", params, tbl)[:8] == b"\x89PNG\r\n\x1a\n"  # pool still fine


@pytest.mark.parametrize("value, expected", [("0", 0), ("3", 3), ("-2", 0), ("999", 32), (" 2 ", 2)])
def test_render_workers_setting(monkeypatch, value, expected):
    monkeypatch.setenv("LLMTRENDS_RENDER_WORKERS", value)
    assert config.render_workers() == expected


def test_render_workers_default_and_garbage(monkeypatch):
    cpus = len(os.sched_getaffinity(0))
    monkeypatch.delenv("LLMTRENDS_RENDER_WORKERS", raising=False)
    assert config.render_workers() == max(1, min(cpus, 4))
    monkeypatch.setenv("LLMTRENDS_RENDER_WORKERS", "lots")
    assert config.render_workers() == max(1, min(cpus, 4))


APP_THAT_DIES = """
import os, sys
from llmtrends.serving import workers
if __name__ == "__main__":
    p = workers.RenderPool(2)
    p.start()
    print(" ".join(str(pid) for pid in p._executor._processes), flush=True)
    os.kill(os.getpid(), int(sys.argv[1]))  # the app ends without shutting its pool down
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_and_fork_server_end_with_the_app(tmp_path, sig):
    import subprocess
    import sys

    script = tmp_path / "app_that_dies.py"
    script.write_text(APP_THAT_DIES, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), str(int(sig))], capture_output=True, text=True,
                          timeout=180, cwd=str(tmp_path),
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    worker_pids = [int(x) for x in proc.stdout.split()]
    assert len(worker_pids) == 2, proc.stderr[-2000:]
    server_pids = {int(open(f"/proc/{w}/stat").read().rsplit(")", 1)[1].split()[1]) for w in worker_pids
                   if _alive(w)}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(p) for p in worker_pids + list(server_pids)):
        time.sleep(0.2)
    assert not [p for p in worker_pids + list(server_pids) if _alive(p)], "workers outlived the app"


def test_the_app_process_never_imports_the_plotting_libraries(snapshot_dir, tmp_path):
    # with figure workers, the app process only hands figures to them: importing the app and
    # rendering a view's two figures (by the workers) loads no plotnine, matplotlib,
    # statsmodels or scipy into it (~120 MB and ~0.4 s of its start)
    script = (
        "import sys\n"
        "import app\n"
        "from llmtrends.views import by_id\n"
        "from modules import serving\n"
        "s = app.LIVE.boards.snapshots['v2']\n"
        "v = by_id('official')\n"
        "p = v.Params.defaults(s)\n"
        "got = [serving.RENDERER.render(v.ID, w, p, serving.table(v, s, p)) for w in v.FIGURES]\n"
        "print('figures', sum(g is not None and g[:4] == b'\\x89PNG' for g in got))\n"
        "print('loaded', sorted(m for m in ('plotnine', 'matplotlib', 'statsmodels', 'scipy') if m in sys.modules))\n"
    )
    env = dict(os.environ, LLMTRENDS_DATA=str(snapshot_dir), LLMTRENDS_RENDER_WORKERS="2")
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "figures 2" in out.stdout, out.stdout + out.stderr[-2000:]
    assert "loaded []" in out.stdout, out.stdout
