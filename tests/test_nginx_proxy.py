"""The app behind Debian's nginx, configured by the shipped deploy/nginx/llmtrends.conf.

A temporary nginx prefix gets a minimal nginx.conf whose http block includes the repo's
site file with only the upstream port and the listen address rewritten (both on
127.0.0.1), so the config under test IS the shipped one. The app runs through
scripts/serve.py (host and port from LLMTRENDS_HOST / LLMTRENDS_PORT, as in the systemd
unit) on the session's snapshots. Chromium then uses the app only through the proxy:
two views, a control changed, the plot redrawn, no output error -- and nginx's access log
shows the websocket upgrade (101) it proxied.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from llmtrends.views import VIEWS
from tests.appserver import free_port

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
SITE_CONF = REPO / "deploy" / "nginx" / "llmtrends.conf"
NGINX = Path("/usr/sbin/nginx")
START_TIMEOUT_S = 60
SHIPPED_CACHE = "/var/lib/nginx/llmtrends-figures"  # the shipped figure cache (rewritten for the test)
FIRST_VIEW = "type_popularity"  # the study's first tab; its aggregation radio is the control we change


def site_config(app_port: int, listen_port: int, cache_dir: Path) -> str:
    """The shipped site file with the upstream and listen addresses and the figure cache's
    folder rewritten for the test."""
    text = SITE_CONF.read_text(encoding="utf-8")
    rules = [
        (rf"^proxy_cache_path {SHIPPED_CACHE} ", f"proxy_cache_path {cache_dir} "),
        (r"^(\s*)server 127\.0\.0\.1:8000;", rf"\g<1>server 127.0.0.1:{app_port};"),
        (r"^(\s*)listen 80;", rf"\g<1>listen 127.0.0.1:{listen_port};"),
        (r"^\s*listen \[::\]:80;\n", ""),
    ]
    for pattern, repl in rules:
        text, n = re.subn(pattern, repl, text, flags=re.MULTILINE)
        assert n == 1, f"{SITE_CONF}: expected exactly one line matching {pattern!r} (found {n})"
    return text


def main_config(prefix: Path) -> str:
    """A minimal nginx.conf for an unprivileged prefix, including the rewritten site file."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(f"    {kind}_temp_path {prefix / 'tmp' / kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
            f"error_log {prefix / 'logs' / 'error.log'} info;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            f"    access_log {prefix / 'logs' / 'access.log'};\n{temp}"
            f"    include {prefix / 'sites' / 'llmtrends.conf'};\n"
            "}\n")


def wait_for_http(url: str, proc: subprocess.Popen, log: Path, what: str) -> urllib.response.addinfourl:
    deadline = time.monotonic() + START_TIMEOUT_S
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            resp = urllib.request.urlopen(url, timeout=5)
            if resp.status == 200:
                return resp
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = exc
        time.sleep(0.2)  # polling a starting process; not a timed assertion
    raise AssertionError(f"{what} did not answer on {url} within {START_TIMEOUT_S}s ({last}):\n"
                         f"{log.read_text(errors='replace')[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def proxied_app(snapshot_dir, tmp_path_factory):
    """(proxy URL, nginx prefix): the app via scripts/serve.py, nginx in front; both stopped after."""
    if not NGINX.is_file():
        pytest.fail(f"{NGINX} not found: install Debian's nginx (apt-get install nginx); "
                    "the reverse-proxy test never skips", pytrace=False)
    base = tmp_path_factory.mktemp("nginx")
    app_port, listen_port = free_port(), free_port()
    app_log = base / "app.log"
    env = dict(os.environ, LLMTRENDS_DATA=str(snapshot_dir), LLMTRENDS_HOST="127.0.0.1",
               LLMTRENDS_PORT=str(app_port), LLMTRENDS_LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    env.pop("LLMTRENDS_BOARD", None)
    with open(app_log, "w", encoding="utf-8") as log:
        app = subprocess.Popen([sys.executable, str(REPO / "scripts" / "serve.py")], cwd=base,
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    nginx = None
    try:
        wait_for_http(f"http://127.0.0.1:{app_port}/", app, app_log, "the app (scripts/serve.py)")

        prefix = base / "prefix"
        for sub in ("logs", "sites", "tmp"):
            (prefix / sub).mkdir(parents=True)
        (prefix / "sites" / "llmtrends.conf").write_text(site_config(app_port, listen_port, prefix / "cache"), encoding="utf-8")
        conf = prefix / "nginx.conf"
        conf.write_text(main_config(prefix), encoding="utf-8")
        check = subprocess.run([str(NGINX), "-t", "-p", str(prefix), "-c", str(conf)],
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, f"nginx -t rejected the shipped site config:\n{check.stderr}"
        nginx_log = prefix / "logs" / "stderr.log"
        with open(nginx_log, "w", encoding="utf-8") as log:
            nginx = subprocess.Popen([str(NGINX), "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                                     stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{listen_port}/"
        wait_for_http(url, nginx, nginx_log, "nginx")
        yield url, prefix, f"http://127.0.0.1:{app_port}/"
    finally:
        if nginx is not None:
            stop(nginx)
        stop(app)


def test_http_goes_through_nginx(proxied_app):
    url, _, _ = proxied_app
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.status == 200
        assert resp.headers["Server"].startswith("nginx")
        body = resp.read().decode("utf-8")
    assert "llmtrends" in body
    assert all(f'data-value="{view.ID}"' in body for view in VIEWS)


def test_browser_through_the_proxy(proxied_app, chromium):
    url, prefix, app_url = proxied_app
    second = next(v for v in VIEWS if v.ID != FIRST_VIEW)
    first_plot = f"#{FIRST_VIEW}-plot_counts img.llmtrends-plot"
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => window.Shiny && Shiny.shinyapp && Shiny.shinyapp.isConnected()")

    # view 1: drawn, then redrawn after a control changes
    page.click(f'a[data-value="{FIRST_VIEW}"]')
    page.wait_for_selector(first_plot, state="visible")
    before = page.get_attribute(first_plot, "src")
    assert re.fullmatch(r"figures/[0-9a-f]{32}\.png", before), before
    radio = page.locator(f'input[name="{FIRST_VIEW}-aggregation"][value="month"]')
    assert not radio.is_checked()
    radio.check()
    page.wait_for_function("([sel, old]) => { const i = document.querySelector(sel);"
                           " return i && i.getAttribute('src') !== old; }", arg=[first_plot, before])
    after = page.get_attribute(first_plot, "src")
    assert re.fullmatch(r"figures/[0-9a-f]{32}\.png", after) and after != before
    page.wait_for_function("sel => { const i = document.querySelector(sel); return i.complete && i.naturalWidth > 0; }",
                           arg=first_plot)  # loaded through the proxy

    # view 2: its tab opens and its first plot (or its explanation) appears
    page.click(f'a[data-value="{second.ID}"]')
    pane = page.evaluate("id => document.querySelector(`a[data-value='${id}']`).getAttribute('href')",
                         second.ID)
    page.wait_for_selector(f"{pane}.active", state="attached")
    page.wait_for_selector(f"{pane} img.llmtrends-plot, {pane} .llmtrends-message", state="visible")

    errors = page.locator(".shiny-output-error")
    assert errors.count() == 0, f"output errors behind the proxy: {errors.all_inner_texts()[:3]}"
    assert "Traceback (most recent call last)" not in page.inner_text("body")
    assert page.evaluate("() => Shiny.shinyapp.isConnected()")
    context.close()
    # nginx logs a websocket request when it ends (after the page closed, a moment later):
    # the upgrade went through the proxy
    deadline = time.monotonic() + 20
    while True:
        access = (prefix / "logs" / "access.log").read_text(encoding="utf-8")
        if re.search(r'"GET /websocket/ HTTP/1\.1" 101 ', access) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert re.search(r'"GET /websocket/ HTTP/1\.1" 101 ', access), access[-2000:]

    # The figures the browser loaded through nginx are in nginx's cache: asked again, nginx
    # answers without the app (HIT), with the app's bytes and its immutable Cache-Control.
    for src in (before, after):
        with urllib.request.urlopen(app_url + src, timeout=30) as resp:
            direct = resp.read()
        with urllib.request.urlopen(url + src, timeout=30) as resp:
            assert resp.headers["X-Cache-Status"] == "HIT", src
            assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert resp.read() == direct and direct.startswith(b"\x89PNG")
        with urllib.request.urlopen(url + src + "?any=query", timeout=30) as resp:  # the same cache entry
            assert resp.headers["X-Cache-Status"] == "HIT" and resp.read() == direct
    # a figure the app does not hold is a 404 with a sentence, and nginx does not keep it
    for _ in range(2):
        with pytest.raises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(url + "figures/" + "0" * 32 + ".png", timeout=30)
        assert gone.value.code == 404 and gone.value.headers["X-Cache-Status"] == "MISS"
        assert b"reload the page" in gone.value.read()


def test_the_shipped_figure_cache_is_in_a_folder_debians_nginx_has():
    """nginx creates only the last folder of a cache path: its parent must exist wherever
    Debian's nginx is installed (``/var/lib/nginx`` comes with the package; /var/cache/nginx
    does not), or ``nginx -t`` fails on the shipped file."""
    if not NGINX.is_file():
        pytest.fail(f"{NGINX} not found: install Debian's nginx", pytrace=False)
    text = SITE_CONF.read_text(encoding="utf-8")
    match = re.search(r"^proxy_cache_path (\S+) ", text, re.MULTILINE)
    assert match and match.group(1) == SHIPPED_CACHE
    assert Path(SHIPPED_CACHE).parent.is_dir()
    # the figures' location is anchored: another site's /x/figures/... is not the app's
    assert re.search(r'^\s*location ~ "\^/figures/\[0-9a-f\]\{32\}\\.png\$" \{', text, re.MULTILINE)


def test_shipped_config_keeps_idle_sessions_and_websockets():
    text = SITE_CONF.read_text(encoding="utf-8")
    assert re.search(r"^\s*proxy_http_version 1\.1;", text, re.MULTILINE)
    assert re.search(r"^\s*proxy_set_header Upgrade \$http_upgrade;", text, re.MULTILINE)
    assert re.search(r"^\s*proxy_set_header Connection \$connection_upgrade;", text, re.MULTILINE)
    assert re.search(r"^\s*proxy_buffering off;", text, re.MULTILINE)
    timeout = re.search(r"^\s*proxy_read_timeout (\d+)s;", text, re.MULTILINE)
    assert timeout and int(timeout.group(1)) >= 3600
