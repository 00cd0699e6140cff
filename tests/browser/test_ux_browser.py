"""The app as a person uses it, in headless Chromium: selections that belong to a board,
typed dates, figures and downloads of empty selections, the explorer's CSV and columns,
links that reproduce a view (the address, back, reload), Compare's differences, figures
for a paper.

Expected values are worked out from the snapshot with plain pandas in the test.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse

import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.views import provenance
from llmtrends.views import explorer as explorer_view
from llmtrends.views import type_popularity
from tests.browser import ui
from tests.test_paper_figures import fonts

pytestmark = pytest.mark.browser

GRID = "#explorer-grid"
TP = "type_popularity"


# --------------------------------------------------------------------------- helpers


def models(snapshot_dir, board: str) -> pd.DataFrame:
    return store.read_snapshot(snapshot_dir, board).models


def first_last_days(m: pd.DataFrame) -> tuple[str, str]:
    """A board's first and last real creation days, worked out here (placeholders out)."""
    real = m.loc[m["created_at"].notna() & ~m["created_at_placeholder"].fillna(False).astype(bool), "created_at"]
    return real.min().date().isoformat(), real.max().date().isoformat()


def date_range(page, view_id: str) -> list:
    return page.evaluate("id => __llm.binding('shiny.dateRangeInput').getValue(document.getElementById(id))",
                         f"{view_id}-dates")


def date_note(page, view_id: str) -> str:
    note = page.locator(f"#{view_id}-dates .llmtrends-date-note")
    return note.inner_text() if note.count() and note.is_visible() else ""


def type_date(page, view_id: str, which: int, text: str, finish: str | None = "Enter") -> None:
    """Type into the start (0) or end (1) box of a view's date range, as a person would."""
    box = page.locator(f"#{view_id}-dates input").nth(which)
    box.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    if finish:
        page.keyboard.press(finish)


def wait_date(page, view_id: str, which: int, day: str) -> None:
    """Wait until the start (0) or end (1) of a view's date range is ``day``, then for quiet."""
    page.wait_for_function("([v, i, d]) => __llm.binding('shiny.dateRangeInput').getValue("
                           "document.getElementById(v + '-dates'))[i] === d", arg=[view_id, which, day])
    ui.quiesce(page, view_id)


def wait_idle(page) -> None:
    page.wait_for_function("() => !document.documentElement.classList.contains('shiny-busy')"
                           " && !document.querySelector('#explorer-grid.recalculating')")


def open_explorer(page, board: str) -> None:
    page.click('a[data-value="explorer"]')
    radio = page.locator(f'input[name="board"][value="{board}"]')
    if not radio.is_checked():
        radio.check()
    page.wait_for_function("b => Shiny.shinyapp.$inputValues['explorer-controls_board'] === b", arg=board)
    page.wait_for_function(f"() => document.querySelector('{GRID} tbody tr')")
    wait_idle(page)


def grid_total(page) -> int:
    text = page.inner_text(f"{GRID} .shiny-data-grid-summary")
    return int(re.search(r"of (\d+)", text.replace(",", "")).group(1))


def wait_grid_total(page, n: int) -> None:
    page.wait_for_function(f"n => document.querySelector('{GRID} .shiny-data-grid-summary')?.textContent"
                           ".replace(/,/g, '').includes('of ' + n)", arg=n)
    wait_idle(page)


def grid_models(page) -> list[str]:
    return page.eval_on_selector_all(f"{GRID} tbody tr", "rs => rs.filter(r => r.cells.length > 1)"
                                     ".map(r => r.cells[0].textContent.trim())")


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def address(page) -> dict:
    """The page's address as Shiny's bookmark state: input id -> value."""
    query = urllib.parse.urlsplit(page.url).query
    if not query.startswith("_inputs_&"):
        return {}
    return {k: json.loads(v) for k, v in urllib.parse.parse_qsl(query[len("_inputs_&"):])}


def link(base: str, **inputs) -> str:
    """A link in Shiny's bookmark format: ``?_inputs_&id=<json>&...``."""
    return base + "?_inputs_&" + urllib.parse.urlencode({k: json.dumps(v) for k, v in inputs.items()})


def wait_connected(page) -> None:
    page.wait_for_function("() => window.Shiny && Shiny.shinyapp && Shiny.shinyapp.isConnected() && __llm.install()")


def checked(page, name: str) -> list[str]:
    return page.eval_on_selector_all(f'input[name="{name}"]:checked', "es => es.map(e => e.value)")


# --------------------------------------------------------------------------- a selection belongs to its board


def test_compare_ignores_rows_picked_on_another_board(app_page, snapshot_dir):
    page = app_page
    open_explorer(page, "v2")
    rows = page.locator(f"{GRID} tbody tr:has(td + td)")
    rows.nth(0).click()
    rows.nth(1).click(modifiers=["Control"])
    page.wait_for_function("() => document.querySelector('.llmtrends-selection')?.textContent.includes('2 selected')")
    picked = grid_models(page)[:2]
    page.click('a[data-value="compare"]')
    page.wait_for_function("ids => { const s = document.querySelector('#compare-models')?.selectize;"
                           " return !!s && s.items.length === 2 && ids.every(i => s.items.includes(i)); }", arg=picked)
    # v1: the grid's rows 1 and 2 are other models; Compare shows v1's own defaults, the
    # three best averages (ties by repo id), worked out here
    page.click('a[data-value="explorer"]')
    page.locator('input[name="board"][value="v1"]').check()
    page.wait_for_function("() => Shiny.shinyapp.$inputValues['explorer-controls_board'] === 'v1'")
    page.wait_for_function(f"() => document.querySelector('{GRID} tbody tr')")
    wait_idle(page)
    v1_rows = grid_models(page)[:2]
    m = models(snapshot_dir, "v1")
    best = m.loc[m["average"].notna()].sort_values(["average", "repo_id"], ascending=[False, True])
    expected = best["repo_id"].head(3).tolist()
    page.click('a[data-value="compare"]')
    page.wait_for_function("ids => { const s = document.querySelector('#compare-models')?.selectize;"
                           " return !!s && s.items.length === ids.length && ids.every(i => s.items.includes(i)); }",
                           arg=expected)
    ui.quiesce(page, "compare")
    shown = page.eval_on_selector_all("#compare-numbers tbody tr", "rs => rs.map(r => r.cells[0].textContent.trim())")
    assert shown == expected
    assert not set(v1_rows) & (set(shown) - set(expected))
    ui.assert_clean(page, "compare after a board switch")


# --------------------------------------------------------------------------- typed dates


def test_typing_a_date_keeps_the_plots(app_page):
    page = app_page
    ui.open_view(page, "v2", TP)
    before, shown = ui.sig(page, TP), date_range(page, TP)
    type_date(page, TP, 0, "2023-0", finish=None)  # half a date
    ui.quiesce(page, TP)
    assert ui.messages(page, TP) == [] and ui.sig(page, TP) == before
    assert date_range(page, TP) == shown  # the picker kept its date
    page.keyboard.type("6-01")  # now a whole date: the plots follow it once it is entered
    page.keyboard.press("Enter")
    page.wait_for_function("([v, s]) => __llm.sig(v) !== s", arg=[TP, before])
    ui.quiesce(page, TP)
    assert date_range(page, TP) == ["2023-06-01", shown[1]]
    assert ui.images(page, TP) == 2 and ui.messages(page, TP) == []
    ui.assert_clean(page, "typed date")


def test_dates_outside_the_board_are_clamped_and_said(app_page, snapshot_dir):
    page = app_page
    first, last = first_last_days(models(snapshot_dir, "v2"))
    ui.open_view(page, "v2", TP)
    type_date(page, TP, 0, "2023-06-01")
    wait_date(page, TP, 0, "2023-06-01")
    # before the board's first day: the first day, said so (it used to jump to the last day)
    type_date(page, TP, 0, "2022-01-01")
    wait_date(page, TP, 0, first)
    assert date_range(page, TP) == [first, last]
    assert "before the board's first day" in date_note(page, TP) and first in date_note(page, TP)
    # after its last day: the last day
    type_date(page, TP, 0, "2024-01-01")
    type_date(page, TP, 1, "2031-05-05", finish="Tab")
    ui.quiesce(page, TP)
    assert date_range(page, TP) == ["2024-01-01", last]
    assert "after the board's last day" in date_note(page, TP)
    # words are no date: the last date stays (it used to become today), said so
    type_date(page, TP, 0, "hello")
    ui.quiesce(page, TP)
    assert date_range(page, TP) == ["2024-01-01", last]
    assert "not a date" in date_note(page, TP)
    assert page.locator(f"#{TP}-dates input").first.input_value() == "2024-01-01"
    assert ui.images(page, TP) == 2 and ui.messages(page, TP) == []
    ui.assert_clean(page, "dates outside the board")


def test_a_board_switch_keeps_a_range_valid_on_both(app_page, snapshot_dir):
    page = app_page
    v1_first, v1_last = first_last_days(models(snapshot_dir, "v1"))
    ui.open_view(page, "v2", TP)
    type_date(page, TP, 0, "2023-06-01")
    type_date(page, TP, 1, "2023-12-31")
    wait_date(page, TP, 1, "2023-12-31")
    ui.open_view(page, "v1", TP)
    assert date_range(page, TP) == ["2023-06-01", "2023-12-31"]
    ui.open_view(page, "v2", TP)
    assert date_range(page, TP) == ["2023-06-01", "2023-12-31"]
    # a range reaching past v1's last day keeps the part v1 has
    type_date(page, TP, 1, "2024-12-31")
    wait_date(page, TP, 1, "2024-12-31")
    ui.open_view(page, "v1", TP)
    assert date_range(page, TP) == ["2023-06-01", v1_last]
    assert v1_first <= "2023-06-01"
    ui.assert_clean(page, "board switch with a range")


# --------------------------------------------------------------------------- empty figures and downloads


def test_a_figure_with_nothing_to_draw_says_why(app_page):
    page = app_page
    ui.open_view(page, "v2", "compare")
    # one model picked: the radar draws it; its differences from the picked models' mean need two
    page.wait_for_function("() => document.querySelector('#compare-models')?.selectize?.items.length >= 2")
    page.evaluate("() => { const s = document.querySelector('#compare-models').selectize;"
                  " s.setValue(s.items.slice(0, 1)); }")
    page.wait_for_function("() => document.querySelector('#compare-plot_differences .llmtrends-message')")
    ui.quiesce(page, "compare")
    assert page.locator("#compare-plot_radar img.llmtrends-plot").count() == 1
    message = page.inner_text("#compare-plot_differences .llmtrends-message")
    assert "two or more models" in message and len(message) < 200
    # its download is off while so, with the reason; the other one is not
    page.wait_for_function("() => document.querySelector('#compare-figure_downloads button[disabled]')")
    off = page.locator("#compare-figure_downloads button[disabled]")
    assert off.count() == 1 and "differences" in off.inner_text() and "two or more" in off.get_attribute("title")
    name, data = ui.download(page, "compare-dl_radar")
    assert name.endswith(".png") and data[:4] == b"\x89PNG"
    ui.assert_clean(page, "compare with one model")


def test_one_day_draws_its_share_bar(app_page):
    """Issue 23, bug 4: a range of one day drew empty share axes with no message; the shares
    are bars now (issue 22), so the day's bar is drawn, faded as a partial week."""
    page = app_page
    ui.open_view(page, "v2", TP)
    type_date(page, TP, 0, "2024-06-03")
    type_date(page, TP, 1, "2024-06-03")
    wait_date(page, TP, 1, "2024-06-03")
    ui.quiesce(page, TP)
    for which in ("counts", "shares"):
        assert page.locator(f"#{TP}-plot_{which} img.llmtrends-plot").count() == 1
        assert page.locator(f"#{TP}-plot_{which} .llmtrends-message").count() == 0
    ui.assert_clean(page, "one day")


def test_downloads_of_an_empty_selection(app_page, app_server):
    page = app_page
    ui.open_view(page, "v1", TP)
    for box in page.locator(f'input[name="{TP}-types"]').all():
        box.uncheck()
    page.wait_for_function("v => __llm.sig(v).startsWith('msg:')", arg=TP)
    ui.quiesce(page, TP)
    name, data = ui.download(page, f"{TP}-dl_csv")
    rows = csv_rows(data)
    assert name.endswith(".csv") and rows == [provenance.csv_columns(type_popularity, "v1")]
    # no figure to give: the figure buttons are off, saying why
    page.wait_for_function(f"() => document.querySelectorAll('#{TP}-figure_downloads button[disabled]').length === 2")
    assert "type" in page.locator(f"#{TP}-figure_downloads button[disabled]").first.get_attribute("title").lower()
    # the explorer with no model passing: its header alone
    open_explorer(page, "v1")
    ui.set_slider(page, "explorer-min_score", 100)
    page.wait_for_function(f"() => !document.querySelector('{GRID} tbody tr td + td')"
                           " || document.querySelector('.llmtrends-message')")
    wait_idle(page)
    _, data = ui.download(page, "explorer-dl_csv")
    assert csv_rows(data) == [explorer_view.csv_columns("v1")]
    log = app_server.log_text()
    assert "Exception in ASGI application" not in log and "Traceback" not in log


def test_no_deprecated_download_api(app_page, app_server):
    page = app_page
    ui.open_view(page, "v1", TP)
    ui.download(page, f"{TP}-dl_counts")
    assert "render.download is deprecated" not in app_server.log_text()


# --------------------------------------------------------------------------- the explorer


def test_the_explorer_csv_is_what_the_grid_shows(app_page, snapshot_dir):
    page = app_page
    m = models(snapshot_dir, "v2")
    open_explorer(page, "v2")
    page.locator(f"{GRID} thead tr").nth(1).locator("th").nth(0).locator("input").fill("llama-3")
    ui.set_slider(page, "explorer-min_score", 30)
    # worked out here: the name holds "llama-3" (any case), the average (two decimals) >= 30
    keep = m.loc[m["repo_id"].str.lower().str.contains("llama-3", regex=False) & (m["average"].round(2) >= 30)]
    assert 0 < len(keep) < len(m)
    wait_grid_total(page, len(keep))
    _, data = ui.download(page, "explorer-dl_csv")
    rows = csv_rows(data)
    assert rows[0] == explorer_view.csv_columns("v2")
    got = [r[0] for r in rows[1:]]
    assert sorted(got) == sorted(keep["repo_id"])
    # in the grid's order: best average first (the grid opens sorted so), ties by repo id
    assert got == keep.assign(a=keep["average"].round(2)).sort_values(["a", "repo_id"],
                                                                       ascending=[False, True])["repo_id"].tolist()
    # sorted by BBH in the grid (descending first): so is the CSV
    bbh = explorer_view.grid_columns("v2").index("BBH")
    page.locator(f"{GRID} thead tr").first.locator("th").nth(bbh).click()
    top = keep["bbh"].round(2).max()
    page.wait_for_function(f"([sel, i, top]) => Number(document.querySelector(sel + ' tbody tr')?.cells[i]"
                           f"?.textContent) === top", arg=[GRID, bbh, float(top)])
    wait_idle(page)
    _, data = ui.download(page, "explorer-dl_csv")
    col = explorer_view.csv_columns("v2").index("bbh")
    scores = [round(float(r[col]), 2) for r in csv_rows(data)[1:]]  # the grid sorts what it shows
    assert len(scores) == len(keep) and scores == sorted(scores, reverse=True)


def test_the_explorer_is_a_model_chooser(app_page, snapshot_dir):
    page = app_page
    m = models(snapshot_dir, "v2")
    open_explorer(page, "v2")
    # sorted by average, best first (ties by repo id), worked out here
    best = m.assign(a=m["average"].round(2)).sort_values(["a", "repo_id"], ascending=[False, True])
    assert grid_models(page)[:5] == best["repo_id"].head(5).tolist()
    # the benchmarks are in view without scrolling sideways
    labels = list(schema.benchmark_labels("v2").values())
    visible = ("sel => { const box = document.querySelector(sel + ' .shiny-data-grid') || document.querySelector(sel);"
               " const right = box.getBoundingClientRect().right;"
               " return [...document.querySelectorAll(sel + ' thead tr:first-child th')]"
               ".filter(th => th.offsetParent !== null && th.getBoundingClientRect().right <= right + 1)"
               ".map(th => th.textContent.trim()); }")
    shown = page.evaluate(visible, GRID)
    assert all(any(s.startswith(lbl) for s in shown) for lbl in labels), shown
    assert not any(s.startswith("License") for s in shown)  # a column off by default
    # the column chooser: Type on, the benchmarks off
    page.check('input[name="explorer-columns"][value="Type"]')
    page.uncheck('input[name="explorer-columns"][value="Benchmarks"]')
    page.wait_for_function(f"sel => [...document.querySelectorAll(sel + ' thead tr:first-child th')]"
                           f".some(th => th.offsetParent !== null && th.textContent.trim().startsWith('Type'))", arg=GRID)
    shown = page.evaluate(visible, GRID)
    assert any(s.startswith("Type") for s in shown) and not any(s.startswith(lbl) for lbl in labels for s in shown)
    # quick filters: parameters from 0 to 10 billion, merges hidden (worked out here)
    ui.set_slider(page, "explorer-params_b", [0, 10])
    page.check("#explorer-hide_merges")
    size = pd.to_numeric(m["params_b"], errors="coerce")
    expected = ((size >= 0) & (size <= 10) & ~m["merged"].fillna(False).astype(bool)).sum()
    wait_grid_total(page, int(expected))
    assert "Flagged models: none on this board" in page.inner_text(".llmtrends-flagged")
    ui.assert_clean(page, "explorer chooser")


# --------------------------------------------------------------------------- links, back, reload


def test_a_link_opens_its_view(app_page, app_server, snapshot_dir):
    page = app_page
    m = models(snapshot_dir, "v1")
    types = sorted(m["type"].dropna().unique())[:2]
    url = link(app_server.url, tab=TP, board="v1", **{f"{TP}-aggregation": "month", f"{TP}-types": types,
                                                         f"{TP}-dates": ["2023-01-01", "2023-12-31"]})
    page.goto(url)
    wait_connected(page)
    page.wait_for_function("v => __llm.pane(v)?.classList.contains('active')", arg=TP)
    ui.quiesce(page, TP)
    assert page.locator('input[name="board"][value="v1"]').is_checked()
    assert checked(page, f"{TP}-aggregation") == ["month"] and sorted(checked(page, f"{TP}-types")) == types
    assert date_range(page, TP) == ["2023-01-01", "2023-12-31"]
    assert ui.images(page, TP) == 2 and ui.messages(page, TP) == []
    # the models it counts, worked out here: those types, created in 2023 (real dates)
    real = m["created_at"].notna() & ~m["created_at_placeholder"].fillna(False).astype(bool)
    day = m["created_at"].dt.strftime("%Y-%m-%d")
    n = int((real & m["type"].isin(types) & (day >= "2023-01-01") & (day <= "2023-12-31")).sum())
    assert f"{n:,} of {len(m):,} models shown" in page.inner_text(f"#{TP}-provenance")
    ui.assert_clean(page, "a link's view")
    # the explorer's grid filters and sorting come back too
    url = link(app_server.url, tab="explorer", board="v2", **{
        "explorer-moe": "dense", "explorer-grid_column_filter": [{"col": 0, "value": "qwen2.5"}],
        "explorer-grid_column_sort": [{"col": explorer_view.grid_columns("v2").index("Likes"), "desc": True}]})
    page.goto(url)
    wait_connected(page)
    v2 = models(snapshot_dir, "v2")
    keep = v2.loc[v2["repo_id"].str.lower().str.contains("qwen2.5", regex=False) & ~v2["moe"].fillna(False).astype(bool)]
    wait_grid_total(page, len(keep))
    assert checked(page, "explorer-moe") == ["dense"]
    likes_col = explorer_view.grid_columns("v2").index("Likes")
    first = page.evaluate(f"i => Number(document.querySelector('{GRID} tbody tr').cells[i].textContent)", likes_col)
    assert first == keep["likes"].max()


def test_changes_go_into_the_address_and_back_returns(app_page, app_server):
    page = app_page
    # the default view, untouched: open_view's click on its tab would be a person's step (a
    # trusted click), which a page still settling on a loaded machine writes into the address
    page.wait_for_function("([v, b]) => Shiny.shinyapp.$inputValues['board'] === b && __llm.pane(v).classList.contains('active')",
                           arg=[TP, "v2"])
    ui.quiesce(page, TP)
    assert address(page) == {}  # an untouched page keeps its plain address
    page.check(f'input[name="{TP}-aggregation"][value="month"]')
    page.wait_for_function("() => decodeURIComponent(location.search).includes('-aggregation=\"month\"')")
    state = address(page)
    assert state["tab"] == TP and state["board"] == "v2" and state[f"{TP}-aggregation"] == "month"
    assert f"{TP}-controls_board" not in state  # bookkeeping stays out of links
    ui.quiesce(page, TP)
    page.locator('input[name="board"][value="v1"]').check()
    page.wait_for_function("() => decodeURIComponent(location.search).includes('board=\"v1\"')")
    ui.quiesce(page, TP)
    assert address(page)["board"] == "v1"
    # back: v2 by month, as before; back again: the plain page (v2, by week)
    page.go_back()
    wait_connected(page)
    ui.quiesce(page, TP)
    assert address(page)["board"] == "v2" and page.locator('input[name="board"][value="v2"]').is_checked()
    assert checked(page, f"{TP}-aggregation") == ["month"]
    page.go_back()
    wait_connected(page)
    ui.quiesce(page, TP)
    # the plain view again (v2, by week); its address is plain, or the same view written out
    state = address(page)
    assert checked(page, f"{TP}-aggregation") == ["week"] and page.locator('input[name="board"][value="v2"]').is_checked()
    assert state == {} or (state["board"] == "v2" and state[f"{TP}-aggregation"] == "week"), state
    assert page.url.startswith(app_server.url)  # still the app
    # forward, then a reload keeps the view
    page.go_forward()
    wait_connected(page)
    ui.quiesce(page, TP)
    page.reload()
    wait_connected(page)
    ui.quiesce(page, TP)
    assert checked(page, f"{TP}-aggregation") == ["month"] and address(page)[f"{TP}-aggregation"] == "month"
    # another tab is a step too
    page.click('a[data-value="moe"]')
    page.wait_for_function("() => decodeURIComponent(location.search).includes('tab=\"moe\"')")
    page.go_back()
    wait_connected(page)
    page.wait_for_function("v => __llm.pane(v)?.classList.contains('active')", arg=TP)
    ui.assert_clean(page, "back and forth")


# --------------------------------------------------------------------------- compare, paper figures


def test_compare_shows_differences_beside_the_radar(app_page):
    page = app_page
    ui.open_view(page, "v2", "compare")
    radar = page.locator("#compare-plot_radar img.llmtrends-plot").bounding_box()
    diff = page.locator("#compare-plot_differences img.llmtrends-plot").bounding_box()
    assert abs(radar["y"] - diff["y"]) < 5 and diff["x"] >= radar["x"] + radar["width"] - 1  # side by side
    # the numbers under them, inside the page's column (scrolling sideways in their box)
    fits = page.evaluate("() => { const t = document.querySelector('#compare-numbers .table-responsive');"
                         " const pane = t.closest('.tab-pane').getBoundingClientRect();"
                         " const box = t.getBoundingClientRect();"
                         " return [box.right <= pane.right + 1, getComputedStyle(t).overflowX]; }")
    assert fits[0] and fits[1] == "auto"
    ui.assert_clean(page, "compare")


def test_figures_for_a_paper(app_page):
    page = app_page
    ui.open_view(page, "v2", TP)
    page.select_option(f"#{TP}-figure_format", "pdf")
    page.select_option(f"#{TP}-figure_size", "single")
    ui.quiesce(page, TP)
    name, pdf = ui.download(page, f"{TP}-dl_counts")
    assert name.endswith("_counts_single.pdf") and pdf[:5] == b"%PDF-"
    box = [float(v) for v in re.search(rb"/MediaBox\s*\[\s*([\d.\s]+)\]", pdf).group(1).split()]
    assert box[2] == pytest.approx(3.5 * 72)
    found = fonts(pdf)
    assert found and all(f["subtype"] != "Type3" and f["embedded"] for f in found), found
    page.select_option(f"#{TP}-figure_format", "svg")
    page.select_option(f"#{TP}-figure_size", "double")
    ui.quiesce(page, TP)
    name, svg = ui.download(page, f"{TP}-dl_shares")
    assert name.endswith("_shares_double.svg") and b"<text" in svg and b"Share of new models" in svg


def test_a_link_to_nothing_shows_the_default_view(app_page, app_server):
    # a tab and a board that do not exist, a control's value no control can have
    page = app_page
    page.goto(link(app_server.url, tab="<script>x</script>", board="v9", **{f"{TP}-aggregation": "year"}))
    wait_connected(page)
    page.wait_for_function("() => Shiny.shinyapp.$inputValues['board'] === 'v2'")  # the default board
    page.wait_for_function("v => __llm.pane(v)?.classList.contains('active')", arg=TP)  # the first tab
    ui.quiesce(page, TP)
    ui.assert_clean(page, "a link to nothing")
    # the forged aggregation is answered as any forged input, and the page works on
    page.check(f'input[name="{TP}-aggregation"][value="month"]')
    page.wait_for_function("v => __llm.sig(v).startsWith('img:')", arg=TP)
    ui.quiesce(page, TP)
    assert ui.images(page, TP) == 2 and ui.messages(page, TP) == []
