"""The real app served on 127.0.0.1 for browser and websocket tests.

``app_server`` (session fixture) starts ``python -m shiny run app.py`` in a subprocess
with ``LLMTRENDS_DATA`` = the session's ``snapshot_dir``, waits until it answers and
yields an :class:`AppServer` (``url``, ``ws_url``, ``log_text()``). Test modules import the
fixture from here (``from tests.appserver import app_server``); however many modules
import it, one process serves the whole session (it is reference-counted and stopped
after the last user: terminate, then kill).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60


@dataclass
class AppServer:
    url: str
    proc: subprocess.Popen
    log_path: Path
    users: int = 0

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "websocket/"

    def log_text(self) -> str:
        """Everything the server wrote to stdout/stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


_RUNNING: dict[str, AppServer] = {}


def free_port() -> int:
    """A TCP port nobody listens on at the moment (127.0.0.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(server: AppServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    last = None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"the app exited with {server.proc.returncode}:\n{server.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = exc
        time.sleep(0.2)  # polling a starting process; not a timed assertion
    raise RuntimeError(f"the app did not answer on {server.url} within {START_TIMEOUT_S}s ({last}):\n"
                       f"{server.log_text()[-3000:]}")


def start_server(data_dir: Path, log_dir: Path, env: dict[str, str] | None = None) -> AppServer:
    """Start the app on a free port of 127.0.0.1 and wait until its page loads (``env``: more
    environment variables for it)."""
    port = free_port()
    log_path = log_dir / f"app-{port}.log"
    env = dict(os.environ, LLMTRENDS_DATA=str(data_dir), PYTHONUNBUFFERED="1", **(env or {}))
    env.pop("LLMTRENDS_BOARD", None)
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 -- closed in stop_server
    proc = subprocess.Popen(
        [sys.executable, "-m", "shiny", "run", "app.py", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()  # the child keeps its own descriptor
    server = AppServer(url=f"http://127.0.0.1:{port}/", proc=proc, log_path=log_path)
    try:
        _wait_until_up(server)
    except BaseException:
        stop_server(server)
        raise
    return server


def stop_server(server: AppServer) -> None:
    """Terminate the app; kill it if it does not exit within 10 s."""
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def app_server(snapshot_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The app serving both boards of ``snapshot_dir`` on 127.0.0.1 (one per session)."""
    key = str(snapshot_dir)
    server = _RUNNING.get(key)
    if server is None or server.proc.poll() is not None:
        server = start_server(snapshot_dir, tmp_path_factory.mktemp("appserver"))
        _RUNNING[key] = server
    server.users += 1
    try:
        yield server
    finally:
        server.users -= 1
        if server.users == 0:
            stop_server(server)
            _RUNNING.pop(key, None)
