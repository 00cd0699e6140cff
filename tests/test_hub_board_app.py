"""The app with a hub snapshot beside v1 and v2 (issue 20, part A: the app still starts and
offers it; tests/browser/test_hub_board_browser.py opens every tab on it)."""

from __future__ import annotations

import urllib.request

from llmtrends import schema
from tests.appserver import app_server  # noqa: F401 -- the shared server fixture


def test_the_page_offers_the_hub_board(app_server):  # noqa: F811
    page = urllib.request.urlopen(app_server.url, timeout=60).read().decode()
    for board in schema.BOARDS:
        assert f'value="{board}"' in page and schema.BOARD_LABELS[board] in page
