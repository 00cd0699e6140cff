"""Every tab on the hub board in headless Chromium (issue 20).

Two hub boards: the session's, built from the real listing sample (no scores: each score view
says so in one line; tests/browser/test_views_browser.py changes every control of every tab on
it), and a **made-up** one with benchmark scores (``tests/test_hub_views.made_up_models``: the
sample's real models with made-up scores and sizes), served by an app of its own, on which the
score chooser of every view that has one is driven: its choices, its default, and a change of
benchmark that changes the plot and the CSV.
"""

from __future__ import annotations

import csv
import io

import pytest

from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.pipeline.store import Snapshot
from llmtrends.views import VIEWS, by_id
from llmtrends.views import selection
from tests.appserver import start_server, stop_server
from tests.browser import ui
from tests.browser.conftest import open_app
from tests.test_hub_views import made_up_models

pytestmark = pytest.mark.browser
HUB = schema.HUB_BOARD
# the views with a score chooser that draw on the made-up board (What Changed: a single snapshot)
CHOOSERS = ("author_activity", "score_trends", "base_models", "params_score", "moe", "explorer")


def test_every_tab_on_the_hub_board_draws_or_says_why_in_one_line(app_page):
    page, outcome = app_page, {}
    for view in VIEWS:
        where = f"hub/{view.ID}"
        ui.open_view(page, "hub", view.ID)
        ui.assert_clean(page, where)
        shown, n_images = ui.messages(page, view.ID), ui.images(page, view.ID)
        for text in shown:
            assert text.strip() and "\n" not in text.strip() and len(text) < 300, f"{where}: {text!r}"
        if shown and not n_images:
            outcome[view.ID] = f"message: {shown[0].strip()}"
        elif shown:  # a figure with nothing to draw says why in its place, the others draw
            assert n_images + len(shown) == len(view.FIGURES), f"{where}: {n_images} images, {shown}"
            outcome[view.ID] = f"drawn {n_images} of {len(view.FIGURES)}: {shown[0].strip()}"
        else:
            assert n_images == len(view.FIGURES), f"{where}: {n_images} images for {view.FIGURES}"
            outcome[view.ID] = "drawn" if view.FIGURES else "table"
    for view_id, what in outcome.items():
        print(f"hub board, {view_id}: {what}")
    assert set(outcome) == {v.ID for v in VIEWS}
    # what the sample allows: the counts and the model tree, not the scores (one line each)
    for view_id in ("type_popularity", "releases"):
        assert outcome[view_id] == "drawn", (view_id, outcome[view_id])
    # the counts draw, the score figure beside them says why it cannot
    for view_id in ("author_activity", "base_models"):
        assert outcome[view_id].startswith("drawn 1 of 2: The Hub today board has no scores yet"), outcome[view_id]
    # five days: week-over-week changes need two whole weeks, the comparison with the mean draws
    assert outcome["architecture_popularity"].startswith("drawn 1 of 2: "), outcome["architecture_popularity"]
    for view_id in ("score_trends", "params_score", "moe", "compare"):
        assert outcome[view_id].startswith("message: The Hub today board has no scores yet"), outcome[view_id]


@pytest.fixture(scope="module")
def scored(snapshot_dir, tmp_path_factory):
    """An app serving the made-up scored hub board alone: (server, snapshot)."""
    sample = store.read_snapshot(snapshot_dir, HUB)
    data = tmp_path_factory.mktemp("made_up_hub")
    models = made_up_models(sample.models)
    store.write_snapshot(data, HUB, models, None, dict(sample.manifest, source="made up (tests/test_hub_views.py)"))
    server = start_server(data, tmp_path_factory.mktemp("made_up_app"))
    try:
        yield server, Snapshot(board=HUB, models=models, commit_authors=None, manifest={})
    finally:
        stop_server(server)


@pytest.fixture
def scored_page(chromium, scored):
    context, page = open_app(chromium, scored[0].url)
    try:
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("view_id", CHOOSERS)
def test_the_score_chooser_on_a_made_up_scored_hub_board(scored_page, scored, view_id):
    page, snap, view = scored_page, scored[1], by_id(view_id)
    ui.open_view(page, HUB, view_id)
    ui.assert_clean(page, view_id)
    assert not ui.messages(page, view_id) and ui.images(page, view_id) == len(view.FIGURES)
    box = page.locator(f"#{view_id}-score")
    assert box.is_visible()
    options = box.locator("option").evaluate_all("os => os.map(o => [o.value, o.textContent])")
    assert [tuple(o) for o in options] == list(selection.score_choices(snap).items())
    assert box.input_value() == "ce_mmlu_pro" == selection.default_score(snap)  # the most scored benchmark
    if view_id == "explorer":  # the score the minimum is on: it changes the rows above 0 only
        ui.set_slider(page, "explorer-min_score", 20)
        ui.quiesce(page, view_id)
    before = ui.sig(page, view_id)
    box.select_option("ce_gpqa")
    page.wait_for_function("([v, s]) => __llm.sig(v) !== s", arg=[view_id, before])
    ui.quiesce(page, view_id)
    ui.assert_clean(page, f"{view_id}, GPQA Diamond")
    assert not ui.messages(page, view_id), ui.messages(page, view_id)
    if view_id in ("score_trends", "params_score", "moe", "base_models"):  # a per-model score column
        _, data = ui.download(page, f"{view_id}-dl_csv")
        header = next(csv.reader(io.StringIO(data.decode("utf-8"))))
        assert "ce_gpqa" in header and "average" not in header and "ce_mmlu_pro" not in header, header
    box.select_option("ce_mmlu_pro")
    page.wait_for_function("([v, s]) => __llm.sig(v) === s", arg=[view_id, before])
