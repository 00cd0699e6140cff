"""Model Explorer in headless Chromium: filter in the sidebar, sort by a column, select two
rows and find them on the Compare Models tab (radar legend and numbers table)."""

from __future__ import annotations

import pytest

from llmtrends import store
from llmtrends.views import explorer as view

pytestmark = pytest.mark.browser

GRID = "#explorer-grid"


def grid_models(page) -> list[str]:
    """The Model column of the grid's rendered rows, top to bottom."""
    return page.eval_on_selector_all(f"{GRID} tbody tr", "rs => rs.filter(r => r.cells.length > 1).map(r => r.cells[0].textContent.trim())")


def summary(page) -> str:
    return page.inner_text(f"{GRID} .shiny-data-grid-summary")


def wait_idle(page) -> None:
    page.wait_for_function("() => !document.documentElement.classList.contains('shiny-busy')"
                           " && !document.querySelector('#explorer-grid.recalculating')")


def test_filter_sort_select_and_compare(app_page, snapshot_dir):
    page = app_page
    snap = store.read_snapshot(snapshot_dir, "v1")
    m = snap.models
    page.click('a[data-value="explorer"]')
    page.locator('input[name="board"][value="v1"]').check()
    page.wait_for_function("() => Shiny.shinyapp.$inputValues['explorer-controls_board'] === 'v1'")
    wait_idle(page)
    page.wait_for_function(f"n => document.querySelector('{GRID} .shiny-data-grid-summary')?.textContent"
                           f".includes(n)", arg=f"of {len(m)}")
    assert f"of {len(m)}" in summary(page)

    # sidebar filter: MoE only -> exactly the board's MoE models
    n_moe = int(m["moe"].fillna(False).astype(bool).sum())
    page.locator('input[name="explorer-moe"][value="moe"]').check()
    page.wait_for_function(f"n => document.querySelector('{GRID} .shiny-data-grid-summary')?.textContent"
                           f".includes(n)", arg=f"of {n_moe}")
    wait_idle(page)
    # the CSV download has the filtered rows
    with page.expect_download() as info:
        page.click("#explorer-dl_csv")
    text = open(info.value.path(), encoding="utf-8").read().splitlines()
    assert text[0].split(",") == view.csv_columns("v1") and len(text) == 1 + n_moe

    # sort by Average (descending on the second click): the top rows are the best MoE models
    moe = m.loc[m["moe"].fillna(False).astype(bool)]
    best = moe.sort_values("average", ascending=False)["average"].round(2).tolist()
    header = page.locator(f"{GRID} thead tr th", has_text="Average").first
    first_average = (
        "sel => { const r = document.querySelector(sel + ' tbody tr'); if (!r) return null;"
        " const i = [...document.querySelectorAll(sel + ' thead tr:first-child th')].findIndex("
        " th => th.textContent.trim().startsWith('Average')); return Number(r.cells[i].textContent); }")
    header.click()  # the grid sorts numbers descending first, then ascending
    page.wait_for_function(f"([sel, hi, lo]) => [hi, lo].includes(({first_average})(sel))",
                           arg=[GRID, best[0], best[-1]])
    if page.evaluate(f"sel => ({first_average})(sel)", GRID) != best[0]:
        header.click()
        page.wait_for_function(f"([sel, hi]) => ({first_average})(sel) === hi", arg=[GRID, best[0]])
    top = grid_models(page)[:2]
    expected_top = set(moe.loc[moe["average"].round(2) >= best[1], "repo_id"])
    assert set(top) <= expected_top, (top, best[:2])

    # select the first two rows (click, then ctrl-click)
    rows = page.locator(f"{GRID} tbody tr:has(td + td)")
    rows.nth(0).click()
    rows.nth(1).click(modifiers=["Control"])
    page.wait_for_function("n => document.querySelector('.llmtrends-selection')?.textContent.includes(n)",
                           arg="2 selected")
    sel_text = page.inner_text(".llmtrends-selection")
    assert all(t in sel_text for t in top)

    # Compare Models shows exactly those two
    page.click('a[data-value="compare"]')
    page.wait_for_function(
        "ids => { const t = document.querySelector('#compare-numbers tbody'); if (!t) return false;"
        " const got = [...t.querySelectorAll('tr')].map(r => r.cells[0].textContent.trim());"
        " return got.length === ids.length && ids.every(i => got.includes(i)); }", arg=top)
    wait_idle(page)
    items = page.eval_on_selector("#compare-models", "el => el.selectize.items.slice()")
    assert sorted(items) == sorted(top)
    page.wait_for_selector("#compare-plot_radar img.llmtrends-plot")
    wait_idle(page)
    assert page.locator("#compare-plot_radar img.llmtrends-plot").count() == 1
    assert page.locator(".shiny-output-error").count() == 0
