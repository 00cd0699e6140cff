"""The README's quick start, as a newcomer runs it: in a clean clone, ``python3 dev.py run``
sets up its own virtual environment, builds the three snapshots from the local files and
serves the app."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from llmtrends.pipeline import store
from tests.conftest import shared_data_dir

REPO_ROOT = Path(__file__).resolve().parent.parent


def canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_quick_start_commands_are_the_ones_tested():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["python3 dev.py run", "python3 dev.py test"]
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^python3 dev\.py test$", ci, re.M)
    assert re.search(r"^python3 dev\.py floors$", ci, re.M)  # then the declared floors


def test_dev_run_in_a_clean_clone_serves_the_app(tmp_path):
    # a clone of HEAD, as a newcomer gets it (uncommitted changes are not in it)
    clone = tmp_path / "llmtrends"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env.update({"LLMTRENDS_SHARED_DATA": str(shared_data_dir()), "LLMTRENDS_PORT": str(port),
                "LLMTRENDS_HOST": "127.0.0.1", "PATH": os.defpath + os.pathsep + str(Path(sys.base_prefix) / "bin")})
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen([sys.base_prefix + "/bin/python3", "dev.py", "run"], cwd=clone, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 420  # pip install into a new venv, then two builds
        page = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    page = resp.read().decode("utf-8", "replace")
                    break
            except OSError:
                time.sleep(2)
        output = (tmp_path / "run.log").read_text(errors="replace")
        assert page is not None, f"the app never answered; dev.py run said:\n{output[-3000:]}"
        assert "Model Type Popularity" in page and "Leaderboard v1" in page and "Leaderboard v2" in page
        assert "Hub today" in page
        assert (clone / ".venv").is_dir()
        # the environment is the tested pinned set: every pin of requirements.txt, as pinned
        listed = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c",
                                 "import importlib.metadata as m\n"
                                 "for d in m.distributions(): print(d.metadata['Name'], d.version)"],
                                capture_output=True, text=True, check=True).stdout.split("\n")
        installed = {canon(n): v for n, v in (ln.split(" ") for ln in listed if ln)}
        pins = {canon(ln.split("==")[0]): ln.split("==")[1]
                for ln in (clone / "requirements.txt").read_text().splitlines() if ln and not ln.startswith("#")}
        assert len(pins) > 40 and {n: installed.get(n) for n in pins} == pins
        for board, rows in (("v1", "6,170"), ("v2", "4,494")):
            assert (store.snapshot_path(clone / "data", board) / "models.parquet").is_file()
            assert f"wrote {rows} models" in output
        # the hub board from the listing sample: its 179 text-generation / image-text-to-text
        # models (one per repository), which tests/test_hubboard.py recomputes from the CSV
        assert (store.snapshot_path(clone / "data", "hub") / "models.parquet").is_file()
        assert "hub: 179 models" in output
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
