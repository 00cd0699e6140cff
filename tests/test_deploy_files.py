"""deploy/Dockerfile and deploy/llmtrends.service, checked as far as this machine allows.

No Docker engine here, so the image is simulated from the Dockerfile itself: its COPY
instructions (filtered by deploy/Dockerfile.dockerignore) assemble the image's /app in a
temp dir, the snapshot stage's RUN script runs with /sources and /snapshot rewritten to
local folders, and the final CMD starts the app (host and port rewritten to 127.0.0.1 and
a free port). The systemd unit goes through ``systemd-analyze verify``.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from llmtrends.pipeline import store
from tests.appserver import free_port

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO / "deploy" / "Dockerfile"
DOCKERIGNORE = REPO / "deploy" / "Dockerfile.dockerignore"
UNIT = REPO / "deploy" / "llmtrends.service"


def instructions(path: Path) -> list[tuple[str, str, str]]:
    """(stage, INSTRUCTION, arguments) with continuation lines joined and comments dropped.

    As Docker does it: a trailing backslash and its newline are removed, so a RUN's shell
    sees one line (its commands must be separated by ';' or '&&').
    """
    out, stage, buf = [], "", ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1]  # Docker drops the backslash and the newline
            continue
        full = (buf + line).strip()
        buf = ""
        word, _, rest = full.partition(" ")
        word = word.upper()
        if word == "FROM":
            stage = rest.split(" AS ")[-1].strip() if " AS " in rest else rest
        out.append((stage, word, rest.strip()))
    return out


def stage_chain(instrs, target: str) -> list[str]:
    """The stages a target is built from, base first."""
    parents = {s: rest.split(" AS ")[0].strip() for s, w, rest in instrs if w == "FROM"}
    chain = [target]
    while parents.get(chain[0]) in parents:
        chain.insert(0, parents[chain[0]])
    return chain


def ignored(rel: str) -> bool:
    """Docker's rule: the last matching pattern of the ignore file wins ('!' re-includes)."""
    result = False
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").rstrip("/")
        parts = rel.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if pattern == "**" or any(fnmatch.fnmatch(p, pattern) for p in prefixes) \
                or (pattern.startswith("**/") and any(fnmatch.fnmatch(p, pattern[3:]) for p in parts)):
            result = not negate
    return result


@pytest.fixture(scope="module")
def image_app(tmp_path_factory) -> Path:
    """The image's /app as the Dockerfile's COPY lines (and the ignore file) make it."""
    instrs = instructions(DOCKERFILE)
    root = tmp_path_factory.mktemp("image") / "app"
    root.mkdir()
    for stage, word, rest in instrs:
        if word != "COPY" or stage != "base" or "--from" in rest:
            continue
        *sources, dest = rest.split()
        for src in sources:
            src_path = REPO / src
            assert src_path.exists(), f"COPY {src}: not in the repository"
            files = [src_path] if src_path.is_file() else [p for p in src_path.rglob("*") if p.is_file()]
            for f in files:
                rel = f.relative_to(REPO).as_posix()
                if ignored(rel):
                    # a file named by COPY but left out of the context would fail the build
                    assert src_path.is_dir(), f"COPY {src}: the ignore file keeps it out of the context"
                    continue
                target = root / dest if not src_path.is_dir() else root / dest / f.relative_to(src_path)
                if dest.endswith("/") and src_path.is_file():
                    target = root / dest / f.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, target)
    return root


def test_dockerfile_shape():
    instrs = instructions(DOCKERFILE)
    args = {rest.split("=")[0]: rest.split("=", 1)[1] for _, w, rest in instrs if w == "ARG" and "=" in rest}
    assert args["PYTHON_IMAGE"] == "python:3.11-slim"
    stages = [s for s, w, _ in instrs if w == "FROM"]
    assert stages[-1] == "app" and "with-data" in stages  # default target mounts the data
    for target in ("app", "with-data"):
        chain = stage_chain(instrs, target)
        users = [rest for s, w, rest in instrs if w == "USER" and s in chain]
        assert users and users[-1] not in {"root", "0"}, f"{target} runs as {users[-1:]}"
        cmd = json.loads([rest for s, w, rest in instrs if w == "CMD" and s == target][-1])
        assert cmd[:2] == ["shiny", "run"] and cmd[-1] == "app.py"
        assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "8000"
    envs = " ".join(rest for s, w, rest in instrs if w == "ENV")
    assert "LLMTRENDS_DATA=/data" in envs
    # the tested pinned set and nothing else (dev.py and CI install the same, as constraints)
    assert [rest for _, w, rest in instrs if w == "RUN" and "pip install" in rest] == ["pip install -r requirements.txt"]


def test_image_content_runs_the_app(image_app, snapshot_dir, tmp_path):
    """The files the image gets are enough: the final CMD serves both boards."""
    assert (image_app / "app.py").is_file() and (image_app / "requirements.txt").is_file()
    assert not (image_app / "tests").exists() and not list(image_app.rglob("__pycache__"))
    instrs = instructions(DOCKERFILE)
    cmd = json.loads([rest for s, w, rest in instrs if w == "CMD" and s == "app"][-1])
    port = free_port()
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    cmd[cmd.index("--port") + 1] = str(port)
    cmd = [sys.executable, "-m", *cmd]  # `shiny` from this environment
    env = dict(os.environ, LLMTRENDS_DATA=str(snapshot_dir), PYTHONUNBUFFERED="1")
    env.pop("LLMTRENDS_BOARD", None)
    log_path = tmp_path / "app.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=image_app, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        body, deadline = None, time.monotonic() + 60
        while body is None and time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    body = resp.read().decode("utf-8")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)  # polling a starting process; not a timed assertion
        assert body is not None, log_path.read_text()[-3000:]
        assert "Leaderboard v1" in body and "Leaderboard v2" in body
        assert "no processed snapshot" not in body
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _snapshot_script() -> str:
    instrs = instructions(DOCKERFILE)
    runs = [rest for s, w, rest in instrs if w == "RUN" and s == "snapshot" and "from=sources" in rest]
    assert len(runs) == 1
    script = re.sub(r"^--mount=\S+\s*", "", runs[0])
    return script


def test_snapshot_stage_builds_both_boards(image_app, shared_data, tmp_path):
    sources, out = tmp_path / "sources", tmp_path / "snapshot"
    out.mkdir()
    sources.mkdir()
    (sources / "open-llm-leaderboard-contents.parquet").symlink_to(shared_data / "open-llm-leaderboard-contents.parquet")
    (sources / "open-llm-leaderboard-v1").symlink_to(shared_data / "open-llm-leaderboard-v1")
    script = (_snapshot_script().replace("/sources", str(sources)).replace("/snapshot", str(out))
              .replace("python scripts/", f"{sys.executable} scripts/"))
    proc = subprocess.run(["sh", "-c", script], cwd=image_app, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    v1, v2 = store.read_snapshot(out, "v1"), store.read_snapshot(out, "v2")
    assert v1.commit_authors is not None and len(v1.models) > 1000 and len(v2.models) > 1000
    assert v1.manifest["enrichment"]["method"] == "files"


def test_snapshot_stage_fails_without_sources(image_app, tmp_path):
    script = (_snapshot_script().replace("/sources", str(tmp_path / "empty"))
              .replace("/snapshot", str(tmp_path / "out")).replace("python scripts/", f"{sys.executable} scripts/"))
    proc = subprocess.run(["sh", "-c", script], cwd=image_app, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "has neither open-llm-leaderboard-contents.parquet" in proc.stderr


def test_systemd_unit(tmp_path):
    text = UNIT.read_text(encoding="utf-8")
    env = dict(re.findall(r"^Environment=(\w+)=(.*)$", text, re.MULTILINE))
    config_vars = set(re.findall(r"LLMTRENDS_[A-Z_]+", (REPO / "llmtrends" / "config.py").read_text()))
    assert {"LLMTRENDS_DATA", "LLMTRENDS_HOST", "LLMTRENDS_PORT", "LLMTRENDS_LOG_LEVEL"} <= set(env)
    assert {k for k in env if k.startswith("LLMTRENDS_")} <= config_vars
    assert env["LLMTRENDS_HOST"] == "127.0.0.1"  # nginx is the public side
    assert re.search(r"^User=(?!root$)\w+$", text, re.MULTILINE)
    assert re.search(r"^ExecStart=\S+/python scripts/serve\.py$", text, re.MULTILINE)
    # systemd's own parser, with the install paths pointed at this checkout
    local = tmp_path / "llmtrends.service"
    local.write_text(text.replace("/srv/llmtrends/app/.venv/bin/python", sys.executable)
                     .replace("/srv/llmtrends/app", str(REPO)), encoding="utf-8")
    proc = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


def test_every_documented_variable_is_in_the_table():
    doc = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    table = [ln for ln in doc.splitlines() if ln.startswith("| `LLMTRENDS_")]
    documented = {m for ln in table for m in re.findall(r"`(LLMTRENDS_[A-Z_]+)`", ln)}
    used = set(re.findall(r'"(LLMTRENDS_[A-Z_]+)"', (REPO / "llmtrends" / "config.py").read_text()))
    assert used and used <= documented, used - documented


def test_daily_refresh_units(tmp_path):
    """deploy/llmtrends-refresh.{service,timer}: the hub board's refresh, once a day, as the
    app's user, writing the data folder only; systemd's own parser accepts both."""
    service = (REPO / "deploy" / "llmtrends-refresh.service").read_text(encoding="utf-8")
    timer = (REPO / "deploy" / "llmtrends-refresh.timer").read_text(encoding="utf-8")
    exec_start = re.search(r"^ExecStart=(.*)$", service, re.MULTILINE).group(1).split()
    assert exec_start[1:4] == ["scripts/preprocess.py", "--board", "hub"]
    assert exec_start[exec_start.index("--out") + 1] == "/srv/llmtrends/data"  # LLMTRENDS_DATA of the app's unit
    assert "Environment=LLMTRENDS_DATA=/srv/llmtrends/data" in UNIT.read_text(encoding="utf-8")
    assert re.search(r"^User=(?!root$)\w+$", service, re.MULTILINE)
    assert re.search(r"^ReadWritePaths=/srv/llmtrends/data$", service, re.MULTILINE)
    assert re.search(r"^OnCalendar=\*-\*-\* \d\d:\d\d:\d\d UTC$", timer, re.MULTILINE)  # daily
    for name, text in (("llmtrends-refresh.service", service), ("llmtrends-refresh.timer", timer)):
        (tmp_path / name).write_text(text.replace("/srv/llmtrends/app/.venv/bin/python", sys.executable)
                                     .replace("/srv/llmtrends/app", str(REPO)), encoding="utf-8")
    proc = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "llmtrends-refresh.service"),
                           str(tmp_path / "llmtrends-refresh.timer")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
