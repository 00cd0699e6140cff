"""Every tab on the hub board in headless Chromium (issue 20, part A: the app with a hub snapshot).

The session snapshot holds the hub board built from the real listing sample (no scores). Each
view, opened on it, either draws its figures or says in one line why it cannot; no output error
and no traceback reach the page. What each view does is printed (``-s``): making every view work
on the hub board (a benchmark chooser, the model tree) is later work (issue 20, part B).
"""

from __future__ import annotations

import pytest

from llmtrends.views import VIEWS
from tests.browser import ui

pytestmark = pytest.mark.browser


def test_every_tab_on_the_hub_board_draws_or_says_why_in_one_line(app_page):
    page, outcome = app_page, {}
    for view in VIEWS:
        where = f"hub/{view.ID}"
        ui.open_view(page, "hub", view.ID)
        assert page.locator(".shiny-output-error").count() == 0, f"{where}: output error"
        assert ui.TRACEBACK not in page.inner_text("body"), f"{where}: a traceback is on the page"
        shown, n_images = ui.messages(page, view.ID), ui.images(page, view.ID)
        for text in shown:
            assert text.strip() and "\n" not in text.strip() and len(text) < 300, f"{where}: {text!r}"
        if shown and not n_images:
            outcome[view.ID] = f"message: {shown[0].strip()}"
        else:
            assert n_images == len(view.FIGURES), f"{where}: {n_images} images for {view.FIGURES}"
            outcome[view.ID] = "drawn" if view.FIGURES else "table"
    for view_id, what in outcome.items():
        print(f"hub board, {view_id}: {what}")
    assert set(outcome) == {v.ID for v in VIEWS}
