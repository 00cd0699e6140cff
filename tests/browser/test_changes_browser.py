"""What Changed in headless Chromium (drawing and every control: test_views_browser.py):
the re-scoring week said in the page (the README pictures it), a forged date rejected
with a message and the tab back once a real date is chosen, and a board with a single
snapshot (v1) saying so."""

from __future__ import annotations

import pytest

from llmtrends.pipeline import store
from tests.browser import ui

pytestmark = pytest.mark.browser

VIEW = "changes"


def choose(page, first: str, second: str) -> None:
    before = ui.sig(page, VIEW)
    page.select_option(f"#{VIEW}-first", first)
    page.select_option(f"#{VIEW}-second", second)
    page.wait_for_function("([v, s]) => __llm.sig(v) !== s", arg=[VIEW, before])
    ui.quiesce(page, VIEW)


def test_the_rescoring_week_is_said_in_the_page(app_page):
    page = app_page
    ui.open_view(page, "v2", VIEW)
    choose(page, "2025-02-08", "2025-02-16")
    ui.assert_clean(page, "v2 re-scoring week")
    summary = page.inner_text(f"#{VIEW}-summary")
    assert "The board was re-scored" in summary and "15 models entered" in summary
    assert "Not listed: the board was re-scored." in page.inner_text(f"#{VIEW}-sections")
    assert ui.images(page, VIEW) == 2  # the README pictures this week (test_views_browser.test_screenshots)


@pytest.mark.parametrize("forged", ["2025-03-10", "2099-12-31", "<img src=x onerror=alert(1)>"])
def test_a_forged_date_is_rejected_and_the_tab_recovers(app_page, forged):
    page = app_page
    ui.open_view(page, "v2", VIEW)
    before = ui.sig(page, VIEW)
    page.evaluate("v => Shiny.setInputValue('changes-second', v)", forged)
    page.wait_for_function("v => __llm.sig(v).startsWith('msg:')", arg=VIEW)
    ui.quiesce(page, VIEW)
    ui.assert_clean(page, f"forged {forged!r}")
    (msg,) = ui.messages(page, VIEW)
    assert msg.startswith("Invalid input rejected") and len(msg) < 400
    assert ui.images(page, VIEW) == 0 and page.inner_text(f"#{VIEW}-summary") == ""
    assert page.evaluate("() => typeof window.__forged === 'undefined'")
    page.select_option(f"#{VIEW}-second", "2025-03-09")
    page.wait_for_function("([v, s]) => !__llm.sig(v).startsWith('msg:') && __llm.sig(v) !== s", arg=[VIEW, before])
    ui.quiesce(page, VIEW)
    assert ui.images(page, VIEW) == 2 and not ui.messages(page, VIEW)


def test_a_board_with_one_snapshot_says_so(app_page, snapshot_dir):
    page = app_page
    ui.open_view(page, "v1", VIEW)
    ui.assert_clean(page, "v1")
    (msg,) = ui.messages(page, VIEW)
    day = store.current_manifest(snapshot_dir, "v1")["built_at"][:10]
    assert msg == f"Leaderboard v1 has a single snapshot ({day}): there is nothing to compare yet."
    assert ui.images(page, VIEW) == 0
    # back on v2 the tab draws again
    page.locator('input[name="board"][value="v2"]').check()
    page.wait_for_function("v => !__llm.sig(v).startsWith('msg:')", arg=VIEW)
    ui.quiesce(page, VIEW)
    assert ui.images(page, VIEW) == 2
