"""Every view on every board in headless Chromium: open, draw, change every control, download.

Views come from ``llmtrends.views.VIEWS`` and their controls from the DOM (the bound inputs
in the tab's ``<view_id>-`` namespace), so views added later are covered without editing
this file. The README screenshots are taken here (``test_screenshots``): into a scratch
folder, or into ``docs/screenshots`` when ``LLMTRENDS_SCREENSHOTS`` names it
(``python3 dev.py screenshots``), so a test run leaves the tracked pictures alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image

from llmtrends.views import VIEWS
from llmtrends.views import selection
from tests.browser import ui
from tests.browser.test_changes_browser import choose as choose_snapshots

pytestmark = pytest.mark.browser

# the hub board of the session is the real listing sample: no scores, so its score views say so
BOARDS = ("v1", "v2", "hub")
VIEW_IDS = [v.ID for v in VIEWS]
VIEW_BY_ID = {v.ID: v for v in VIEWS}
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS_ENV = "LLMTRENDS_SCREENSHOTS"  # where test_screenshots writes (default: a scratch folder)
SCREENSHOT_MAX_BYTES = 400 * 1024
HUB_SCREENSHOTS = ("type_popularity", "base_models")  # the README's pictures of the hub board
# The study's six views are pictured on v1 (the study's board); the views beyond the
# study on v2 (the current board, which has the CO2 data among others).
STUDY_VIEWS = {"type_popularity", "author_activity", "score_trends", "architecture_popularity",
               "base_models", "releases"}
FORMATS = ("png", "svg", "pdf")
# Controls that legitimately do not change any plot: (view_id, control name) -> why.
# (The figure format is not listed: it only affects downloads and is exercised there.)
NO_PLOT_EFFECT: dict[tuple[str, str], str] = {
    ("explorer", "score"): "which score the minimum is on changes no row while the minimum is 0",
}
# ... and on one board only: (board, view_id, control name) -> why.
NO_PLOT_EFFECT_ON: dict[tuple[str, str, str], str] = {
    ("hub", "explorer", "hide_merges"): "no model of the listing sample is a merge (its model tree says so)",
    ("hub", "explorer", "undated"): "every model of the listing sample has its creation date",
}
# Changes after which a one-line message legitimately stands in for the plots (the control
# changed what is shown, which is checked): (board, view_id, control name) -> why.
MESSAGE_AFTER: dict[tuple[str, str, str], str] = {
    ("hub", "architecture_popularity", "dates"): "the sample's five days halved fit in one week: no change to show",
    ("hub", "explorer", "official"): "no model of the sample is an official provider's (namespace list)",
    ("hub", "explorer", "params_b"): "the sample's listing gives no model a parameter count: only the whole range has models",
}


def score_of(page, view_id: str) -> str | None:
    """The score the view's sidebar chose (None when it has no score control)."""
    box = page.locator(f"#{view_id}-score")
    return box.input_value() if box.count() else None


def choices(page, control: dict) -> int | None:
    """How many choices a checkbox group or a (non-selectize) select offers (None otherwise)."""
    if control["kind"] == "checkboxgroup":
        return page.locator(f'input[type="checkbox"][name="{control["id"]}"]').count()
    if control["kind"] == "select" and not page.evaluate("id => !!document.getElementById(id).selectize",
                                                         control["id"]):
        return page.locator(f'#{control["id"]} option').count()
    return None


def screenshot_board(view_id: str) -> str:
    return "v1" if view_id in STUDY_VIEWS else "v2"


def check_figure_bytes(data: bytes, fmt: str, where: str) -> None:
    assert data, f"{where}: empty {fmt} file"
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{where}: not a PNG"
    elif fmt == "svg":
        assert b"<svg" in data[:2000], f"{where}: not an SVG"
    elif fmt == "pdf":
        assert data[:5] == b"%PDF-", f"{where}: not a PDF"


def check_csv(data: bytes, view, board: str, where: str, score: str | None = None) -> None:
    """The header is the documented ``CSV_COLUMNS`` (in order), or, for a view whose columns
    depend on the board (``csv_columns(board)``, e.g. the explorer's benchmarks), that
    board's documented subset; a per-model score column is named after the ``score`` chosen
    (``average``, ``ce_mmlu_pro``, ...)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows, f"{where}: empty CSV"
    documented = list(view.CSV_COLUMNS)
    expected = view.csv_columns(board) if hasattr(view, "csv_columns") else documented
    if score and not hasattr(view, "csv_columns"):
        documented = expected = selection.score_columns(documented, score)
    assert [c for c in documented if c in expected] == list(expected), f"{where}: undocumented CSV columns"
    assert rows[0] == list(expected), f"{where}: CSV header {rows[0]} != documented {expected}"
    assert len(rows) > 1, f"{where}: CSV has a header but no rows"


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    """Where screenshots go: ``$LLMTRENDS_SCREENSHOTS`` (``dev.py screenshots`` sets it to
    docs/screenshots), else a scratch folder of the test run."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    return Path(chosen).resolve() if chosen else tmp_path_factory.mktemp("screenshots")


def save_screenshot(page, view_id: str, folder: Path) -> Path:
    """Full-page PNG of the view (palette-reduced if needed to stay under ~400 KB)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{view_id}.png"
    png = page.screenshot(full_page=True, type="png")
    if len(png) > SCREENSHOT_MAX_BYTES:
        img = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=True)
        png = buf.getvalue()
    path.write_bytes(png)
    return path


@pytest.mark.parametrize("view_id", VIEW_IDS)
@pytest.mark.parametrize("board", BOARDS)
def test_view_draws_and_every_control_changes_it(app_page, board, view_id):
    page, view = app_page, VIEW_BY_ID[view_id]
    where = f"{board}/{view_id}"
    ui.open_view(page, board, view_id)
    ui.assert_clean(page, where)
    n_images, shown = ui.images(page, view_id), ui.messages(page, view_id)

    controls = page.evaluate("v => __llm.controls(v)", view_id)
    assert controls, f"{where}: no controls found in the tab's namespace"

    if shown and n_images == 0:
        # The board legitimately has nothing for this view (e.g. no CO2 data on v1): a
        # friendly message stands in for the plots, and no control can change a plot.
        assert shown and all(len(m) < 300 for m in shown), f"{where}: neither plots nor a short message"
        return
    # a figure that alone has nothing to draw (the hub sample's scores) says why in its place
    assert n_images + len(shown) == len(view.FIGURES) and all(len(m) < 300 for m in shown), \
        f"{where}: {n_images} images and messages {shown} for figures {view.FIGURES}"

    _, data = ui.download(page, f"{view_id}-dl_csv")
    check_csv(data, view, board, f"{where} CSV", score_of(page, view_id))

    # Each control is changed from the defaults and then put back, so that the changes do
    # not add up to an empty selection (the explorer's filters would). A control with a
    # single choice (the hub sample's one architecture family) has nothing to change to.
    for control in (c for c in controls if choices(page, c) != 1):
        before = ui.sig(page, view_id)
        what, undo = ui.change_control(page, control)
        label = f"{where} {control['name']} ({control['kind']}: {what})"
        reason = NO_PLOT_EFFECT.get((view_id, control["name"])) or NO_PLOT_EFFECT_ON.get((board, view_id, control["name"]))
        if reason is None:
            page.wait_for_function("([v, s]) => __llm.sig(v) !== s", arg=[view_id, before])
        ui.quiesce(page, view_id)
        ui.assert_clean(page, label)
        now = ui.messages(page, view_id)
        if (board, view_id, control["name"]) in MESSAGE_AFTER:
            assert now and all(len(m) < 300 for m in now), label
        elif shown:  # a figure said why it had nothing to draw: it may draw now, or another say why
            assert ui.images(page, view_id) + len(now) == len(view.FIGURES) and all(len(m) < 300 for m in now), \
                f"{label}: {ui.images(page, view_id)} images and messages {now}"
        else:
            assert ui.images(page, view_id) == len(view.FIGURES) and not now, f"{label}: plots replaced by {now}"
        if reason is None:
            assert ui.sig(page, view_id) != before, f"{label}: the plot did not change"
        undo()
        page.wait_for_function("([v, s]) => __llm.sig(v) === s", arg=[view_id, before])
        ui.quiesce(page, view_id)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.png"))}


def test_screenshots(app_page, screenshot_dir):
    """Every view's README picture (the study's views on v1, the others on v2, two on the hub
    board), with the default settings; the tracked ones in docs/screenshots change only when asked to."""
    page = app_page
    before = _digests(DOCS_SCREENSHOTS)
    for view_id in VIEW_IDS:
        ui.open_view(page, screenshot_board(view_id), view_id)
        ui.assert_clean(page, f"{view_id} screenshot")
        path = save_screenshot(page, view_id, screenshot_dir)
        assert path.parent == screenshot_dir and 0 < path.stat().st_size <= SCREENSHOT_MAX_BYTES, path
    # What Changed on v2's re-scoring week, which says more than its default (a quiet week)
    ui.open_view(page, "v2", "changes")
    choose_snapshots(page, "2025-02-08", "2025-02-16")
    ui.assert_clean(page, "changes_rescoring screenshot")
    path = save_screenshot(page, "changes_rescoring", screenshot_dir)
    assert 0 < path.stat().st_size <= SCREENSHOT_MAX_BYTES, path
    # two views on the hub board (the real listing sample): its model types and its model tree
    for view_id in HUB_SCREENSHOTS:
        ui.open_view(page, "hub", view_id)
        ui.assert_clean(page, f"hub {view_id} screenshot")
        shown = ui.messages(page, view_id)  # base models: the staircase says the sample has no scores
        assert ui.images(page, view_id) >= 1 and ui.images(page, view_id) + len(shown) == len(VIEW_BY_ID[view_id].FIGURES)
        path = save_screenshot(page, f"hub_{view_id}", screenshot_dir)
        assert 0 < path.stat().st_size <= SCREENSHOT_MAX_BYTES, path
    assert sorted(p.stem for p in screenshot_dir.glob("*.png")) == sorted(
        [*VIEW_IDS, "changes_rescoring", *(f"hub_{v}" for v in HUB_SCREENSHOTS)])
    if screenshot_dir != DOCS_SCREENSHOTS.resolve():
        assert _digests(DOCS_SCREENSHOTS) == before, "a test run rewrote docs/screenshots"


@pytest.mark.parametrize("view_id", VIEW_IDS)
def test_downloads(app_page, view_id):
    """Every figure in PNG, SVG and PDF and the CSV, on the first board that has plots."""
    page, view = app_page, VIEW_BY_ID[view_id]
    for board in BOARDS:
        ui.open_view(page, board, view_id)
        if not ui.messages(page, view_id):
            break
    assert not ui.messages(page, view_id), f"{view_id}: no board draws this view"
    for fmt in FORMATS if view.FIGURES else ():  # a view without figures (explorer) has no format
        page.select_option(f"#{view_id}-figure_format", fmt)
        ui.quiesce(page, view_id)  # the server has the new format before the download asks
        for which in view.FIGURES:
            name, data = ui.download(page, f"{view_id}-dl_{which}")
            assert name.endswith(f".{fmt}") and which in name, f"{view_id}/{which}: file name {name!r}"
            check_figure_bytes(data, fmt, f"{board}/{view_id}/{which}.{fmt}")
    name, data = ui.download(page, f"{view_id}-dl_csv")
    assert name.endswith(".csv"), name
    check_csv(data, view, board, f"{board}/{view_id} CSV", score_of(page, view_id))
    ui.assert_clean(page, f"{board}/{view_id} downloads")


def test_no_types_ticked_shows_a_friendly_message(app_page):
    page = app_page
    ui.open_view(page, "v1", "type_popularity")
    for box in page.locator('input[name="type_popularity-types"]').all():
        box.uncheck()
    page.wait_for_function("v => __llm.sig(v).startsWith('msg:')", arg="type_popularity")
    ui.quiesce(page, "type_popularity")
    ui.assert_clean(page, "type_popularity, no types")
    assert ui.images(page, "type_popularity") == 0
    (msg,) = ui.messages(page, "type_popularity")
    assert "type" in msg.lower() and len(msg) < 200, msg
    assert "Invalid input" not in msg  # an empty selection is not a forged value


def test_end_before_start_shows_a_friendly_message(app_page):
    """Every view with a date range: end before start -> a message, no error, then recovery."""
    page = app_page
    checked = []
    for view_id in VIEW_IDS:
        ui.open_view(page, "v1", view_id)
        ranges = [c for c in page.evaluate("v => __llm.controls(v)", view_id) if c["kind"] == "daterange"]
        if ui.messages(page, view_id) or not ranges:  # nothing drawn on this board (CO2 on v1)
            continue
        cid = ranges[0]["id"]
        start, end = page.evaluate("id => __llm.binding('shiny.dateRangeInput').getValue(document.getElementById(id))", cid)
        page.evaluate("([id, s, e]) => __llm.setDateRange(id, s, e)", [cid, end, start])
        page.wait_for_function("v => __llm.sig(v).startsWith('msg:')", arg=view_id)
        ui.quiesce(page, view_id)
        ui.assert_clean(page, f"{view_id}, end before start")
        assert ui.images(page, view_id) == 0
        msgs = ui.messages(page, view_id)
        assert len(msgs) == 1 and "before" in msgs[0] and len(msgs[0]) < 200, msgs
        page.evaluate("([id, s, e]) => __llm.setDateRange(id, s, e)", [cid, start, end])
        page.wait_for_function("v => !__llm.sig(v).startsWith('msg:')", arg=view_id)
        ui.quiesce(page, view_id)
        assert ui.images(page, view_id) == len(VIEW_BY_ID[view_id].FIGURES) and not ui.messages(page, view_id)
        checked.append(view_id)
    assert "type_popularity" in checked, checked


IMAGES_JS = ("v => [...__llm.pane(v).querySelectorAll('img.llmtrends-plot')].map(i =>"
             " ({key: i.dataset.key, src: i.getAttribute('src') || '', drawn: i.complete && i.naturalWidth > 0}))")


# the transfers of a figure URL the page made so far (Resource Timing): bytes over the network
TRANSFERS_JS = "src => performance.getEntriesByName(new URL(src, location.href).href).map(e => e.transferSize)"


def test_going_back_shows_the_figures_from_the_browsers_cache(app_page):
    """Back to a selection seen before, the server names the same figure URLs and the
    browser shows them from its cache (``Cache-Control: immutable``): the very images of
    the first time, drawn, with no byte of them fetched again."""
    page, view_id = app_page, "type_popularity"
    ui.open_view(page, "v1", view_id)
    first = page.evaluate(IMAGES_JS, view_id)
    assert len(first) == 2 and all(i["drawn"] and re.fullmatch(r"figures/[0-9a-f]{32}\.png", i["src"]) for i in first)
    # the first time, each figure came over the network (what the check below could see)
    assert all(page.evaluate(TRANSFERS_JS, i["src"])[0] > 0 for i in first), first
    aggregation = page.locator(f'input[name="{view_id}-aggregation"]:checked').get_attribute("value")
    other = "month" if aggregation != "month" else "week"
    before = ui.sig(page, view_id)  # taken before the change: a fast answer may come first
    page.check(f'input[name="{view_id}-aggregation"][value="{other}"]')
    page.wait_for_function("([v, s]) => __llm.sig(v) !== s", arg=[view_id, before])
    ui.quiesce(page, view_id)
    assert [i["src"] for i in page.evaluate(IMAGES_JS, view_id)] != [i["src"] for i in first]
    page.check(f'input[name="{view_id}-aggregation"][value="{aggregation}"]')
    page.wait_for_function("([v, srcs]) => { const now = [...__llm.pane(v).querySelectorAll('img.llmtrends-plot')];"
                           " return now.length === srcs.length && now.every((i, k) => i.getAttribute('src') === srcs[k]); }",
                           arg=[view_id, [i["src"] for i in first]])
    ui.quiesce(page, view_id)
    page.wait_for_function(f"v => ({IMAGES_JS})(v).every(i => i.drawn)", arg=view_id)
    for image in first:  # loaded once; shown again from memory or from the disk cache (0 bytes)
        transfers = page.evaluate(TRANSFERS_JS, image["src"])
        assert transfers[0] > 0 and all(t == 0 for t in transfers[1:]), (image["src"], transfers)
    ui.assert_clean(page, f"{view_id}: back to {aggregation}")
