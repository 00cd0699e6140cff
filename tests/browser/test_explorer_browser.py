"""Model Explorer in headless Chromium: filter in the sidebar (a filter the grid applies
itself and one that re-sends rows), the user's own column filter kept, sort by a column,
select two rows and find them on the Compare Models tab (radar legend and numbers table)."""

from __future__ import annotations

import pytest

from llmtrends.pipeline import providers, store
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

    def wait_total(n: int) -> None:
        page.wait_for_function(f"n => document.querySelector('{GRID} .shiny-data-grid-summary')?.textContent"
                               f".includes(n)", arg=f"of {n}")
        wait_idle(page)

    def column_filters() -> list:
        return page.evaluate("() => Shiny.shinyapp.$inputValues['explorer-grid_column_filter']")

    avg_col = view.grid_columns("v1").index("Average")
    moe_col = view.grid_columns("v1").index("MoE")
    moe_flag = m["moe"].fillna(False).astype(bool)
    # the user's own filter: Average at most 60 (the grid's filter row, max box)
    page.locator(f"{GRID} thead tr").nth(1).locator("th").nth(avg_col).locator("input").nth(1).fill("60")
    wait_total(int((m["average"].round(2) <= 60).sum()))
    # a sidebar filter that picks the grid's rows: untick Small (rows re-sent; the redraw
    # starts without column filters)
    not_small = m["size_class"] != "Small"
    page.locator('input[name="explorer-sizes"][value="Small"]').uncheck()
    wait_total(int(not_small.sum()))
    # MoE only: the grid applies it itself (its MoE column filter), no rows re-sent
    page.locator('input[name="explorer-moe"][value="moe"]').check()
    wait_total(int((moe_flag & not_small).sum()))
    assert column_filters() == [{"col": moe_col, "value": "yes"}]
    # the user's filter survives sidebar changes the grid applies: Average <= 60, then Community
    page.locator(f"{GRID} thead tr").nth(1).locator("th").nth(avg_col).locator("input").nth(1).fill("60")
    low = m["average"].round(2) <= 60
    wait_total(int((moe_flag & not_small & low).sum()))
    community = ~providers.resolve_official(m)["official"].fillna(False).astype(bool)
    page.locator('input[name="explorer-official"][value="community"]').check()
    wait_total(int((moe_flag & not_small & low & community).sum()))
    off_col = view.grid_columns("v1").index("Official")
    assert sorted(column_filters(), key=lambda f: f["col"]) == [
        {"col": avg_col, "value": [None, 60]}, {"col": moe_col, "value": "yes"}, {"col": off_col, "value": "no"}]
    page.locator('input[name="explorer-official"][value="all"]').check()
    wait_total(int((moe_flag & not_small & low).sum()))
    page.locator('input[name="explorer-sizes"][value="Small"]').check()
    n_moe = int(moe_flag.sum())
    wait_total(n_moe)  # redrawn with every size, MoE filter set again
    assert column_filters() == [{"col": moe_col, "value": "yes"}]
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
    # the picker is refilled from the server (server-side selectize): wait for its items
    page.wait_for_function("ids => { const s = document.querySelector('#compare-models')?.selectize;"
                           " return !!s && s.items.length === ids.length && ids.every(i => s.items.includes(i)); }",
                           arg=top)
    items = page.eval_on_selector("#compare-models", "el => el.selectize.items.slice()")
    assert sorted(items) == sorted(top)
    # the picker's refill can redraw the radar once more: wait for a quiet page with the radar
    page.wait_for_function("() => !document.documentElement.classList.contains('shiny-busy')"
                           " && !document.querySelector('#compare-plot_radar.recalculating')"
                           " && document.querySelectorAll('#compare-plot_radar img.llmtrends-plot').length === 1")
    assert page.locator("#compare-plot_radar img.llmtrends-plot").count() == 1
    assert page.locator(".shiny-output-error").count() == 0
