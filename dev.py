#!/usr/bin/env python3
"""One entry point for a fresh machine: ``python3 dev.py run``, ``test`` and ``screenshots``.

* ``run``  -- create ``.venv``, install llmtrends, build the snapshots if ``data/`` has none
  (from local files in ``LLMTRENDS_SHARED_DATA`` / ``../shared/data`` when present, else the
  v2 board from the Hub dataset and the hub board from the live Hub), then serve the app on
  http://127.0.0.1:8000.
* ``test`` -- create ``.venv``, install llmtrends with its test extras, install Debian's
  chromium and nginx when missing (browser and proxy tests need them), run the whole
  test suite with pytest, one worker per core up to four (pytest-xdist, each test file on
  one worker). Extra arguments go to pytest (``python3 dev.py test -k hub``; ``-n 0`` runs
  in one process).
  The tests take their screenshots into a scratch folder: the tracked ones stay as they are.
* ``screenshots`` -- as ``test``, but runs only the browser test that pictures every view,
  writing into ``docs/screenshots`` (the README's pictures); commit them when a view's
  look changed.
* ``floors`` -- create ``.venv-floors`` with the oldest versions pyproject.toml allows
  (``scripts/floors.py``) and run the non-browser tests there (CI does, after ``test``).

``run`` and ``test`` install the tested pinned set: ``requirements.txt`` (and for ``test``
``requirements-test.txt``) as pip constraints, the same versions the Dockerfile and the
rsconnect manifest install; ``scripts/write_manifest.py --requirements-only`` regenerates
both from an environment the tests passed in.

Only the standard library is used here, so it runs before anything is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
FLOORS_VENV = ROOT / ".venv-floors"
PINNED = {"": ["requirements.txt"], "test": ["requirements.txt", "requirements-test.txt"]}  # constraints per extras


def python_of(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


PY = python_of(VENV)
SYSTEM_PACKAGES = {"chromium": "/usr/bin/chromium", "nginx": "/usr/sbin/nginx"}


def say(text: str) -> None:
    print(f"[dev] {text}", flush=True)


def sh(*cmd: str, env: dict | None = None) -> None:
    """Run a command, stopping with its exit code if it fails."""
    result = subprocess.run(cmd, cwd=ROOT, env=env)
    if result.returncode != 0:
        say(f"failed ({result.returncode}): {' '.join(cmd)}")
        sys.exit(result.returncode)


def shared_data() -> Path:
    return Path(os.environ.get("LLMTRENDS_SHARED_DATA", ROOT.parent / "shared" / "data")).resolve()


def ensure_venv(extras: str = "", venv_dir: Path = VENV, constraints: list[str] | None = None) -> Path:
    """Create ``venv_dir`` and install the project (editable) with the given extras, held to
    ``constraints`` (default: the pinned set of :data:`PINNED`); its Python."""
    py = python_of(venv_dir)
    if not py.exists():
        say(f"creating {venv_dir}")
        venv.EnvBuilder(with_pip=True).create(venv_dir)
    constraints = PINNED[extras] if constraints is None else constraints
    say("installing llmtrends" + (f" [{extras}]" if extras else "") + f" with {' + '.join(constraints)} (pip)")
    held = [a for c in constraints for a in ("-c", c)]
    sh(str(py), "-m", "pip", "install", "--quiet", *held, "--upgrade", "pip")  # pinned too, where it is
    target = f".[{extras}]" if extras else "."
    sh(str(py), "-m", "pip", "install", "--quiet", *held, "-e", target)
    return py


def ensure_system_packages() -> None:
    """Debian's chromium and nginx, installed with apt-get when missing (needs root)."""
    missing = [name for name, path in SYSTEM_PACKAGES.items() if not Path(path).exists()]
    if not missing:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        say(f"missing system packages: {', '.join(missing)}; install them (Debian: "
            f"sudo apt-get install -y {' '.join(missing)}) and run again")
        sys.exit(1)
    say(f"installing {', '.join(missing)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sh("apt-get", "update", "-qq", env=env)
    sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)


def has_snapshot(data: Path, board: str) -> bool:
    """Whether ``data/<board>`` holds a snapshot (``CURRENT``, or the layout before it)."""
    return (data / board / "CURRENT").is_file() or (data / board / "models.parquet").is_file()


def build_snapshots(data: Path) -> None:
    """Build data/v1 and data/v2 from local files when available, else v2 from the Hub; and the
    hub board from the local listing sample when available, else from the live Hub."""
    shared = shared_data()
    pre = [str(PY), "scripts/preprocess.py"]
    v1 = shared / "open-llm-leaderboard-v1"
    v2 = shared / "open-llm-leaderboard-contents.parquet"
    if not has_snapshot(data, "v1") and (v1 / "leaderboard.csv").exists():
        sh(*pre, "--board", "v1", "--source", str(v1 / "leaderboard.csv"), "--enrich", "files",
           "--hub-records", str(v1), "--out", str(data))
    if not has_snapshot(data, "v2"):
        if v2.exists():
            sh(*pre, "--board", "v2", "--source", str(v2), "--out", str(data))
        else:
            say("no local copy of the v2 leaderboard; loading it from the Hub")
            sh(*pre, "--board", "v2", "--out", str(data))
    if not has_snapshot(data, "hub"):
        listings = sorted((shared / "hub-new-models").glob("*.csv"))
        if listings:  # a local listing in the sample's format: its models, no scores
            sh(*pre, "--board", "hub", "--source", str(listings[-1]), "--out", str(data))
        else:
            say("no local listing of the Hub's models; listing them live (text-generation and "
                "image-text-to-text since 2023: a few minutes within the Hub's rate limit, resumable)")
            done = subprocess.run([*pre, "--board", "hub", "--out", str(data)], cwd=ROOT)
            if done.returncode != 0:  # v1 and v2 are served anyway; run it again to resume
                say("the hub board could not be built now; serving the other boards "
                    f"(build it later: {' '.join(pre[1:])} --board hub --out {data})")


def cmd_run(args: list[str]) -> None:
    ensure_venv()
    data = Path(os.environ.get("LLMTRENDS_DATA", ROOT / "data"))
    build_snapshots(data)
    host = os.environ.get("LLMTRENDS_HOST", "127.0.0.1")
    port = os.environ.get("LLMTRENDS_PORT", "8000")
    say(f"serving on http://{host}:{port} (Ctrl+C to stop)")
    os.execv(str(PY), [str(PY), "-m", "shiny", "run", "--host", host, "--port", port, "app.py", *args])


def require_shared_data() -> Path:
    shared = shared_data()
    if not (shared / "open-llm-leaderboard-contents.parquet").exists():
        say(f"the real leaderboard data is missing: {shared} (set LLMTRENDS_SHARED_DATA); "
            "the tests need it and do not skip")
        sys.exit(1)
    return shared


# One pytest worker per core (at most four: each builds the session's snapshots and starts
# its own browser), a test file's tests on one worker so its module fixtures start once.
PARALLEL = ["--numprocesses", "auto", "--maxprocesses", "4", "--dist", "loadfile"]


def parallel(args: list[str]) -> list[str]:
    """``args`` with :data:`PARALLEL` first, unless they choose the workers themselves."""
    chosen = any(a in ("-n", "--numprocesses") or a.startswith(("-n", "--numprocesses=")) for a in args)
    return list(args) if chosen else [*PARALLEL, *args]


def cmd_test(args: list[str]) -> None:
    shared = require_shared_data()
    ensure_venv("test")
    ensure_system_packages()
    env = dict(os.environ, LLMTRENDS_SHARED_DATA=str(shared))
    result = subprocess.run([str(PY), "-m", "pytest", *parallel(args)], cwd=ROOT, env=env)
    sys.exit(result.returncode)


# Left out of the floor run, for CI time: dev.py run in a clean clone installs the pinned set,
# not the floors; two compare this code's cache and workers with itself, which
# tests/test_speedups.py's figures with and without the shortcuts cover at the floors too; and
# the script's v2 run, whose formats and views its two v1 runs cover.
FLOORS_DESELECT = ["tests/test_quickstart.py::test_dev_run_in_a_clean_clone_serves_the_app",
                   "tests/test_render_cache.py::test_cached_figures_are_byte_identical_to_fresh_renders",
                   "tests/test_workers.py::test_worker_renders_equal_in_process_renders",
                   "tests/test_figures.py::test_v2_run"]


def cmd_floors(args: list[str]) -> None:
    shared = require_shared_data()
    FLOORS_VENV.mkdir(exist_ok=True)
    floors = FLOORS_VENV / "floors.txt"
    sh(sys.executable, "scripts/floors.py", "--out", str(floors))
    say("the declared floors: " + ", ".join(floors.read_text(encoding="utf-8").split()))
    py = ensure_venv("test", FLOORS_VENV, [str(floors)])
    env = dict(os.environ, LLMTRENDS_SHARED_DATA=str(shared))
    deselect = [a for t in FLOORS_DESELECT for a in ("--deselect", t)]
    result = subprocess.run([str(py), "-m", "pytest", "-m", "not browser", *deselect, *parallel(args)], cwd=ROOT,
                            env=env)
    sys.exit(result.returncode)


def cmd_screenshots(args: list[str]) -> None:
    os.environ["LLMTRENDS_SCREENSHOTS"] = str(ROOT / "docs" / "screenshots")
    cmd_test(["-n", "0", "tests/browser/test_views_browser.py::test_screenshots", *args])


COMMANDS = {"run": cmd_run, "test": cmd_test, "floors": cmd_floors, "screenshots": cmd_screenshots}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        sys.exit(2)
    COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
