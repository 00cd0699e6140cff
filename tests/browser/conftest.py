"""Browser fixtures: the app on 127.0.0.1, Debian's headless Chromium, a fresh page per test.

``app_server`` (from :mod:`tests.appserver`) serves both boards of ``snapshot_dir`` once per
session; ``chromium`` (from ``tests/conftest.py``) is one browser for the whole run; ``app_page`` is a new context + page
(1400x1000) per test, opened on the app with the llmtrends page helpers installed
(``window.__llm``, see ``tests/browser/helpers.js``).

The fixture names differ from pytest-playwright's (``browser``, ``page``) on purpose: that
plugin would launch its own downloaded browser, which this machine does not have.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.appserver import app_server  # noqa: F401 -- re-exported fixture

VIEWPORT = {"width": 1400, "height": 1000}
HELPERS_JS = (Path(__file__).parent / "helpers.js").read_text(encoding="utf-8")


def open_app(chromium, url: str):
    """A new browser context and a page on the app at ``url``: loaded, Shiny connected,
    helpers installed. The caller closes the context."""
    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.add_init_script(HELPERS_JS)
    page.goto(url)
    page.wait_for_function("() => window.Shiny && Shiny.shinyapp && Shiny.shinyapp.isConnected() && __llm.install()")
    return context, page


@pytest.fixture
def app_page(chromium, app_server):  # noqa: F811 -- app_server is the imported fixture
    """A fresh browser session on the app: page loaded, Shiny connected, helpers installed."""
    context, page = open_app(chromium, app_server.url)
    try:
        yield page
    finally:
        context.close()
