"""What Changed: its figures draw the history (checked against the raw weekly files), its CSV
is the documented one, and its module serves it over Shiny's websocket (in process, as
tests/test_modules.py does): plots and sentences on v2, forged dates rejected, a board with
a single snapshot said so."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from shiny import App, reactive, ui
from starlette.testclient import TestClient

from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import changes as view
from llmtrends.views import provenance
from modules import changes as module
from tests.conftest import v2_history
from tests.shinyproto import ShinyWire, is_message, is_plot
from tests.test_history import raw

NS = "wc"
OUTPUTS = [f"{NS}-plot_board_size", f"{NS}-plot_frontier", f"{NS}-provenance", f"{NS}-controls",
           f"{NS}-board_marker", f"{NS}-summary", f"{NS}-sections"]


@pytest.fixture(scope="module")
def v2(snapshot_dir):
    return store.read_snapshot(snapshot_dir, "v2")


@pytest.fixture(scope="module")
def week(v2):
    params = view.Params.from_inputs({"first": "2025-02-08", "second": "2025-02-16"}, v2)
    return params, view.table(v2, params)


def _drawn(fig):
    """The matplotlib figure plotnine draws, and its first panel."""
    render.pyplot()  # the Agg backend
    mfig = fig.draw()
    return mfig, mfig.axes[0]


def _day_of(x: float) -> str:
    return (pd.Timestamp("1970-01-01") + pd.Timedelta(days=round(x))).strftime("%Y-%m-%d")


def _dashed_days(ax) -> list[str]:
    (lines,) = [c for c in ax.collections if type(c).__name__ == "LineCollection"]
    return [_day_of(seg[0][0]) for seg in lines.get_segments()]


def test_board_size_figure_stacks_every_snapshots_models_by_type(week, shared_data):
    params, tbl = week
    fig = view.figure(tbl, params, "board_size")
    mfig, ax = _drawn(fig)
    (bars,) = [c for c in ax.collections if type(c).__name__ == "PolyCollection"]
    rects = pd.DataFrame([(p.vertices[:, 0].mean(), p.vertices[:, 1].min(), p.vertices[:, 1].max())
                          for p in bars.get_paths()], columns=["x", "bottom", "top"])
    rects["day"] = rects["x"].map(_day_of)
    days = sorted(p.stem for p in v2_history(shared_data).glob("*.parquet"))
    tops = rects.groupby("day")["top"].max()
    assert list(tops.index) == days
    for d in days:  # each stack is as high as the models on the board that day
        assert tops[d] == pytest.approx(len(raw(shared_data, d)))
    # and is cut into one bar per type with that type's count
    counts = raw(shared_data, "2025-02-16")["Type"].str.split(" ", n=1).str[1].value_counts()
    heights = (rects.loc[rects["day"] == "2025-02-16", "top"] - rects.loc[rects["day"] == "2025-02-16", "bottom"])
    assert sorted(heights.round().astype(int)) == sorted(counts.astype(int))
    assert _dashed_days(ax) == ["2025-02-08", "2025-02-16"]
    texts = [t.get_text() for t in mfig.texts]
    assert "Models on the board at each snapshot, by type" in texts
    assert "Dashed lines: the snapshots compared, 2025-02-08 and 2025-02-16." in texts


def test_frontier_figure_draws_the_best_score_of_each_class_at_every_snapshot(v2, week, shared_data):
    params, tbl = week
    fig = view.figure(tbl, params, "frontier")
    mfig, ax = _drawn(fig)
    days = sorted(p.stem for p in v2_history(shared_data).glob("*.parquet"))
    boards = {d: raw(shared_data, d) for d in days}
    drawn = {}
    for line in ax.lines:  # one line per size class, Small first
        xy = line.get_xydata()
        drawn[len(drawn)] = ([_day_of(x) for x in xy[:, 0]], list(xy[:, 1]))
    for i, size in enumerate(("Small", "Medium", "Large")):
        xs, ys = drawn[i]
        assert xs == days
        assert ys == pytest.approx([boards[d].loc[boards[d]["size"] == size, "Average ⬆️"].max() for d in days])
    assert _dashed_days(ax) == ["2025-02-08", "2025-02-16"]
    # the dashed lines follow the dates compared, so both controls change the figure
    other = view.Params.from_inputs({"first": "2025-01-05", "second": "2025-02-16"}, v2)
    _, ax2 = _drawn(view.figure(view.table(v2, other), other, "frontier"))
    assert _dashed_days(ax2) == ["2025-01-05", "2025-02-16"]


def test_the_csv_has_the_documented_columns_and_every_section(week):
    _, tbl = week
    text = provenance.table_csv(tbl)
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame.columns) == list(view.CSV_COLUMNS)
    assert set(frame["section"]) <= set(view.SECTIONS)
    assert {"summary", "leader", "new_by_type", "board_size", "frontier", "entered"} <= set(frame["section"])
    for name, cols in view.SECTION_COLUMNS.items():
        assert set(cols) <= set(view.CSV_COLUMNS), name


# --------------------------------------------------------------------------- the module


def _client(snapshot_dir, board: str):
    snap = store.read_snapshot(snapshot_dir, board)

    def server(input, output, session):
        module.view_server(NS, reactive.calc(lambda: snap))

    return TestClient(App(ui.page_fluid(module.view_ui(NS)), server))


@pytest.fixture(scope="module")
def client(snapshot_dir):
    with _client(snapshot_dir, "v2") as c:
        yield c


def _inputs(first: str, second: str, board: str = "v2") -> dict:
    return {f"{NS}-first": first, f"{NS}-second": second, f"{NS}-score": "average", f"{NS}-figure_format": "png",
            f"{NS}-controls_board": board}


def test_module_offers_the_history_and_draws_plots_and_sentences(client, shared_data):
    with client.websocket_connect("/websocket/") as ws:
        wire = ShinyWire(ws.send_text, ws.receive_text)
        wire.init(_inputs("2025-03-09", "2025-03-16"), OUTPUTS)
        controls = wire.wait_for(f"{NS}-controls", lambda h: "<select" in h)
        days = sorted(p.stem for p in v2_history(shared_data).glob("*.parquet"))
        assert re.findall(r'<option value="([0-9-]+)"', controls) == days * 2
        for which in view.FIGURES:
            wire.wait_for(f"{NS}-plot_{which}", is_plot)
        summary = wire.wait_for(f"{NS}-summary", lambda h: "<li>" in h)
        assert "9 models left: 3 renamed, 6 removed from the board." in summary
        sections = wire.wait_for(f"{NS}-sections", lambda h: "<table" in h)
        assert "renamed to meta-llama/Llama-3.1-70B" in sections and "Leader of each size class" in sections
        wire.assert_no_errors()


@pytest.mark.parametrize("forged", ["2025-03-10", "1970-01-01", "x' OR 1=1", ["2025-03-16"], 20250316])
def test_module_rejects_forged_dates_then_recovers(client, forged):
    with client.websocket_connect("/websocket/") as ws:
        wire = ShinyWire(ws.send_text, ws.receive_text)
        wire.init(_inputs("2025-03-09", "2025-03-16"), OUTPUTS)
        wire.wait_for(f"{NS}-plot_board_size", is_plot)
        wire.forget(f"{NS}-plot_board_size")
        wire.update({f"{NS}-second": forged})
        assert "Invalid input rejected" in wire.wait_for(f"{NS}-plot_board_size", is_message)
        wire.forget(f"{NS}-plot_board_size")
        wire.update({f"{NS}-second": "2025-03-21"})
        wire.wait_for(f"{NS}-plot_board_size", is_plot)
        wire.assert_no_errors()


def test_module_on_a_board_with_a_single_snapshot_says_so(snapshot_dir):
    day = store.current_manifest(snapshot_dir, "v1")["built_at"][:10]
    with _client(snapshot_dir, "v1") as c, c.websocket_connect("/websocket/") as ws:
        wire = ShinyWire(ws.send_text, ws.receive_text)
        wire.init(_inputs(day, day, "v1"), OUTPUTS)
        message = wire.wait_for(f"{NS}-plot_board_size", is_message)
        assert "single snapshot" in message and day in message
        assert "Invalid input" not in message
        wire.assert_no_errors()
