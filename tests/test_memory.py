"""Heap trimming (``llmtrends.serving.memory``, issue 8: memory flat under load).

* ``trim`` gives freed heap pages back: a process that freed ~80 MB of blocks lying below
  one it still holds (glibc keeps those) sees its resident memory drop by most of it;
* ``IdleTrimmer`` trims only after work and a quiet moment, never while work is under way;
* a figure worker trims once it has been idle after its figures, and its figures are
  the same bytes as before (the worker render tests in test_workers.py).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from llmtrends.serving import memory, workers
from llmtrends.views import by_id

REPO = Path(__file__).resolve().parent.parent

# Allocates 80k blocks of 1 KiB (each from malloc: larger than pymalloc's 512 bytes), then
# one more it keeps, so that the freed ones lie below it: glibc keeps those pages (only
# the top of a heap is given back by itself). Prints resident KiB: allocated, freed, trimmed.
_FRAGMENT = r"""
import sys
sys.path.insert(0, sys.argv[1])
from llmtrends.serving import memory

def rss_kib():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))

blocks = [bytearray(1024) for _ in range(80_000)]
pin = bytearray(1024)
allocated = rss_kib()
del blocks
freed = rss_kib()
trimmed = memory.trim()
print(allocated, freed, rss_kib(), trimmed)
"""


def test_trim_gives_freed_pages_back():
    assert memory.available()  # CI and the deployment targets run glibc
    out = subprocess.run([sys.executable, "-c", _FRAGMENT, str(REPO)], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    allocated, freed, trimmed, said = int(out[0]), int(out[1]), int(out[2]), out[3]
    blocks_kib = 80_000 * 1024 // 1024  # at least what the blocks' bytes take
    assert allocated - trimmed >= 0.6 * blocks_kib, (allocated, freed, trimmed)
    assert trimmed < freed - 0.5 * blocks_kib, "trim gave back less than half of what was freed"
    assert said == "True"


def test_idle_trimmer_waits_for_work_and_quiet():
    t = memory.IdleTrimmer(idle_s=1.0, poll_s=3600)  # its thread never gets to trim here
    now = time.monotonic()
    assert not t.due(now + 100)  # no work yet: nothing to give back
    with t.busy():  # a moment of work
        pass
    assert not t.due(time.monotonic() + 0.5)  # not quiet long enough
    assert t.due(time.monotonic() + 1.01)
    with t.busy():
        with t.busy():
            assert not t.due(time.monotonic() + 100)  # never while work is under way
        assert not t.due(time.monotonic() + 100)  # the outer one still is
    ended = time.monotonic()
    assert not t.due(ended + 0.5) and t.due(ended + 1.01)


def test_idle_trimmer_trims_once_after_each_burst_of_work():
    t = memory.IdleTrimmer(idle_s=0.05, poll_s=0.02)
    time.sleep(0.3)
    assert t.trims == 0  # no work, no trim
    with t.busy():
        time.sleep(0.3)
        assert t.trims == 0  # not while busy
    time.sleep(0.5)
    assert t.trims == 1
    time.sleep(0.3)
    assert t.trims == 1  # once per burst
    with t.busy():  # a moment of work
        pass
    time.sleep(0.5)
    assert t.trims == 2


def _trims_here() -> int:
    return workers._TRIMMER.trims


def test_a_figure_worker_trims_after_its_figures(snapshot_dir):
    from llmtrends.pipeline import store

    snap = store.read_snapshot(snapshot_dir, "v2")
    view = by_id("type_popularity")
    params = view.Params.defaults(snap)
    tbl = view.table(snap, params)
    pool = workers.RenderPool(1)
    try:
        executor = pool._pool()
        assert executor.submit(_trims_here).result() == 0  # started: nothing drawn, nothing trimmed
        pool.render(view.ID, "counts", params, tbl)
        pool.render(view.ID, "shares", params, tbl)
        deadline = time.monotonic() + 30
        while executor.submit(_trims_here).result() == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert executor.submit(_trims_here).result() == 1  # once, after both figures
    finally:
        pool.shutdown()
