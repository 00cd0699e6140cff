#!/usr/bin/env python3
"""One entry point for a fresh machine: ``python3 dev.py run``, ``test`` and ``screenshots``.

* ``run``  -- create ``.venv``, install llmtrends, build the snapshots if ``data/`` has none
  (from local files in ``LLMTRENDS_SHARED_DATA`` / ``../shared/data`` when present, else the
  v2 board from the Hub dataset), then serve the app on http://127.0.0.1:8000.
* ``test`` -- create ``.venv``, install llmtrends with its test extras, install Debian's
  chromium and nginx when missing (browser and proxy tests need them), run the whole
  test suite with pytest. Extra arguments go to pytest (``python3 dev.py test -k hub``).
  The tests take their screenshots into a scratch folder: the tracked ones stay as they are.
* ``screenshots`` -- as ``test``, but runs only the browser test that pictures every view,
  writing into ``docs/screenshots`` (the README's pictures); commit them when a view's
  look changed.

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
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
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


def ensure_venv(extras: str = "") -> None:
    """Create .venv and install the project (editable) with the given extras."""
    if not PY.exists():
        say(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    say("installing llmtrends" + (f" [{extras}]" if extras else "") + " (pip)")
    sh(str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    sh(str(PY), "-m", "pip", "install", "--quiet", "-e", target)


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


def build_snapshots(data: Path) -> None:
    """Build data/v1 and data/v2 from local files when available, else v2 from the Hub."""
    shared = shared_data()
    pre = [str(PY), "scripts/preprocess.py"]
    v1 = shared / "open-llm-leaderboard-v1"
    v2 = shared / "open-llm-leaderboard-contents.parquet"
    if not (data / "v1" / "models.parquet").exists() and (v1 / "leaderboard.csv").exists():
        sh(*pre, "--board", "v1", "--source", str(v1 / "leaderboard.csv"), "--enrich", "files",
           "--hub-records", str(v1), "--out", str(data))
    if not (data / "v2" / "models.parquet").exists():
        if v2.exists():
            sh(*pre, "--board", "v2", "--source", str(v2), "--out", str(data))
        else:
            say("no local copy of the v2 leaderboard; loading it from the Hub")
            sh(*pre, "--board", "v2", "--out", str(data))


def cmd_run(args: list[str]) -> None:
    ensure_venv()
    data = Path(os.environ.get("LLMTRENDS_DATA", ROOT / "data"))
    build_snapshots(data)
    host = os.environ.get("LLMTRENDS_HOST", "127.0.0.1")
    port = os.environ.get("LLMTRENDS_PORT", "8000")
    say(f"serving on http://{host}:{port} (Ctrl+C to stop)")
    os.execv(str(PY), [str(PY), "-m", "shiny", "run", "--host", host, "--port", port, "app.py", *args])


def cmd_test(args: list[str]) -> None:
    shared = shared_data()
    if not (shared / "open-llm-leaderboard-contents.parquet").exists():
        say(f"the real leaderboard data is missing: {shared} (set LLMTRENDS_SHARED_DATA); "
            "the tests need it and do not skip")
        sys.exit(1)
    ensure_venv("test")
    ensure_system_packages()
    env = dict(os.environ, LLMTRENDS_SHARED_DATA=str(shared))
    result = subprocess.run([str(PY), "-m", "pytest", *args], cwd=ROOT, env=env)
    sys.exit(result.returncode)


def cmd_screenshots(args: list[str]) -> None:
    os.environ["LLMTRENDS_SCREENSHOTS"] = str(ROOT / "docs" / "screenshots")
    cmd_test(["tests/browser/test_views_browser.py::test_screenshots", *args])


def main() -> None:
    commands = {"run": cmd_run, "test": cmd_test, "screenshots": cmd_screenshots}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        sys.exit(2)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
