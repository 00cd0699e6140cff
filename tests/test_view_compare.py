"""Compare Models: radar coordinates worked by hand, the table and its numbers, defaults,
forged inputs, figures on both boards."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import inputs
from llmtrends.views import compare as view

FT, CHAT = schema.TYPE_FINETUNED, schema.TYPE_CHAT
V1_BENCH = ["arc", "hellaswag", "mmlu", "truthfulqa", "winogrande", "gsm8k"]
R3 = math.sqrt(3.0)

# repo_id, average, arc, hellaswag, mmlu, truthfulqa, winogrande, gsm8k, params_b, type
ROWS = [
    ("a/one", 50.0, 60.0, 80.0, 40.0, 20.0, 100.0, 0.0, 7.0, FT),
    ("b/two", 70.0, 10.0, 20.0, 30.0, 40.0, 50.0, np.nan, np.nan, CHAT),
    ("c/three", 70.0, 50.0, 50.0, 50.0, 50.0, 50.0, 50.0, 70.0, FT),
    ("d/four", 65.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 13.0, CHAT),
    ("e/five", 10.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, FT),
    ("f/six", 20.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, FT),
]


def snap_of(rows=ROWS, board="v1") -> store.Snapshot:
    models = pd.DataFrame(rows, columns=["repo_id", "average", *V1_BENCH, "params_b", "type"])
    return store.Snapshot(board=board, models=models, commit_authors=None, manifest={})


def test_spoke_angles_start_at_the_top_and_go_clockwise():
    assert view.spoke_angles(6).tolist() == [90.0, 30.0, -30.0, -90.0, -150.0, -210.0]
    assert view.spoke_angles(4).tolist() == [90.0, 0.0, -90.0, -180.0]


def test_radar_points_by_hand():
    # n = 6: angles 90, 30, -30, -90, -150, -210 degrees; cos/sin worked out by hand
    pts = view.radar_points([60.0, 80.0, 40.0, 20.0, 100.0, 0.0])
    expect_x = [0.0, 80 * R3 / 2, 40 * R3 / 2, 0.0, -100 * R3 / 2, 0.0]
    expect_y = [60.0, 40.0, -20.0, -20.0, -50.0, 0.0]
    assert pts["radius"].tolist() == [60.0, 80.0, 40.0, 20.0, 100.0, 0.0]
    assert np.allclose(pts["x"], expect_x, atol=1e-9)
    assert np.allclose(pts["y"], expect_y, atol=1e-9)


def test_radar_points_square_and_missing_and_clipped():
    # n = 4: up, right, down, left; a missing score sits at the centre, scores clip to 0..100
    pts = view.radar_points([10.0, np.nan, 120.0, -5.0])
    assert pts["radius"].tolist() == [10.0, 0.0, 100.0, 0.0]
    assert np.allclose(pts[["x", "y"]].to_numpy(), [[0, 10], [0, 0], [0, -100], [0, 0]], atol=1e-9)


def test_radar_grid_by_hand():
    grid = view.radar_grid(["A", "B", "C", "D"])
    circles = grid["circles"]
    assert sorted(circles["level"].unique().tolist()) == [20, 40, 60, 80, 100]
    for level, pts in circles.groupby("level"):
        assert np.allclose(np.hypot(pts["x"], pts["y"]), level)
        assert np.allclose(pts.iloc[0][["x", "y"]].tolist(), pts.iloc[-1][["x", "y"]].tolist())  # closed
    assert np.allclose(grid["spokes"][["xend", "yend"]].to_numpy(), [[0, 100], [100, 0], [0, -100], [-100, 0]],
                       atol=1e-9)
    labels = grid["labels"]
    assert labels["label"].tolist() == ["A", "B", "C", "D"]
    assert labels["ha"].tolist() == ["center", "left", "center", "right"]
    assert np.allclose(np.hypot(labels["x"], labels["y"]), view.LABEL_RADIUS)
    assert grid["levels"]["label"].tolist() == ["20", "40", "60", "80", "100"]


def test_table_by_hand():
    tbl = view.table(snap_of(), view.Params(models=("b/two", "a/one")))
    assert list(tbl.columns) == list(view.CSV_COLUMNS)
    assert tbl["model"].tolist() == ["b/two"] * 6 + ["a/one"] * 6
    assert tbl["benchmark"].tolist() == V1_BENCH * 2
    assert tbl["benchmark_label"].tolist() == ["ARC", "HellaSwag", "MMLU", "TruthfulQA", "Winogrande", "GSM8K"] * 2
    assert tbl["angle_deg"].tolist() == [90.0, 30.0, -30.0, -90.0, -150.0, -210.0] * 2
    two = tbl.iloc[:6]
    assert two["score"].tolist()[:5] == [10.0, 20.0, 30.0, 40.0, 50.0] and math.isnan(two["score"].iloc[5])
    assert two["radius"].tolist() == [10.0, 20.0, 30.0, 40.0, 50.0, 0.0]
    assert np.allclose(two["x"], [0.0, 20 * R3 / 2, 30 * R3 / 2, 0.0, -50 * R3 / 2, 0.0], atol=1e-9)
    assert np.allclose(two["y"], [10.0, 10.0, -15.0, -40.0, -25.0, 0.0], atol=1e-9)
    assert set(two["average"]) == {70.0} and two["params_b"].isna().all() and set(two["type"]) == {CHAT}
    one = tbl.iloc[6:]
    assert np.allclose(one["x"], [0.0, 40 * R3, 20 * R3, 0.0, -50 * R3, 0.0], atol=1e-9)
    assert np.allclose(one["y"], [60.0, 40.0, -20.0, -20.0, -50.0, 0.0], atol=1e-9)
    assert tbl.attrs["models_shown"] == 2


def test_numbers_by_hand():
    tbl = view.table(snap_of(), view.Params(models=("c/three", "b/two")))
    num = view.numbers(tbl)
    assert list(num.columns) == ["Model", "Average", "ARC", "HellaSwag", "MMLU", "TruthfulQA", "Winogrande",
                                 "GSM8K", "Params (B)", "Type"]
    assert num["Model"].tolist() == ["c/three", "b/two"]
    assert num.iloc[0, 1:9].tolist() == [70.0, 50.0, 50.0, 50.0, 50.0, 50.0, 50.0, 70.0]
    assert num.iloc[1, 1:7].tolist() == [70.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    assert math.isnan(num.iloc[1]["GSM8K"]) and math.isnan(num.iloc[1]["Params (B)"])
    assert num["Type"].tolist() == [FT, CHAT]
    header, rows = view.numbers_cells(num)
    assert header == list(num.columns)
    assert rows == [["c/three", "70.00", "50.00", "50.00", "50.00", "50.00", "50.00", "50.00", "70.00", FT],
                    ["b/two", "70.00", "10.00", "20.00", "30.00", "40.00", "50.00", "", "", CHAT]]


def test_defaults_are_the_three_best_with_ties_by_id():
    # averages 70 (b/two, c/three: tie, by id), then 65 (d/four)
    assert view.Params.defaults(snap_of()).models == ("b/two", "c/three", "d/four")
    assert view.Params.from_inputs({}, snap_of()).models == ("b/two", "c/three", "d/four")


def test_inputs_parse_into_params():
    p = view.Params.from_inputs({"models": ["e/five", "a/one", "e/five"]}, snap_of())
    assert p.models == ("e/five", "a/one")  # order kept, repeat dropped
    assert view.Params.from_inputs({"models": "f/six"}, snap_of()).models == ("f/six",)
    five = ["a/one", "b/two", "c/three", "d/four", "e/five"]
    assert view.Params.from_inputs({"models": five}, snap_of()).models == tuple(five)


@pytest.mark.parametrize("raw, needle", [
    ({"models": ["a/one", "nobody/nothing"]}, "not a model of this board"),
    ({"models": ["a/one", "b/two", "c/three", "d/four", "e/five", "f/six"]}, "at most 5"),
    ({"models": ["A/ONE"]}, "not a model of this board"),  # ids are exact
    ({"models": 42}, "expected a list"),
    ({"models": ["a/one", 3]}, "not a model id"),
    ({"models": [["a/one"]]}, "not a model id"),
])
def test_forged_inputs_are_rejected(raw, needle):
    with pytest.raises(inputs.InvalidInput, match=needle):
        view.Params.from_inputs(raw, snap_of())


def test_nothing_picked_is_a_friendly_message():
    with pytest.raises(inputs.EmptySelection, match="at least one model"):
        view.Params.from_inputs({"models": []}, snap_of())


def test_table_rejects_models_not_on_the_board():
    with pytest.raises(inputs.InvalidInput, match="not a model of this board"):
        view.table(snap_of(), view.Params(models=("a/one", "zz/zz")))


def test_known_models_keeps_the_first_five_of_the_board():
    ids = ["zz/zz", "f/six", "a/one", "f/six", "b/two", "c/three", "d/four", "e/five", 7]
    assert view.known_models(snap_of().models, ids) == ("f/six", "a/one", "b/two", "c/three", "d/four")
    assert view.known_models(snap_of().models, []) == ()


def test_unknown_figure_is_rejected():
    tbl = view.table(snap_of(), view.Params(models=("a/one",)))
    with pytest.raises(inputs.InvalidInput):
        view.figure(tbl, view.Params(models=("a/one",)), "bars")


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_real_board_defaults_table_and_figure(snapshot_dir, board):
    snap = store.read_snapshot(snapshot_dir, board)
    m = snap.models
    params = view.Params.defaults(snap)
    # independently: the three highest averages, ties by repo id
    best = sorted(zip(m["repo_id"].astype(str), m["average"]), key=lambda t: (-t[1], t[0]))[:3]
    assert params.models == tuple(r for r, _ in best)
    tbl = view.table(snap, params)
    bench = schema.benchmark_columns(board)
    assert len(tbl) == 3 * len(bench)
    for repo in params.models:
        row = m.loc[m["repo_id"] == repo].iloc[0]
        got = tbl.loc[tbl["model"] == repo]
        assert np.allclose(got["score"].to_numpy(), row[bench].to_numpy(dtype=float), equal_nan=True)
        r = np.clip(row[bench].to_numpy(dtype=float), 0, 100)
        theta = np.radians([90 - 360 * k / len(bench) for k in range(len(bench))])
        assert np.allclose(got["x"], r * np.cos(theta)) and np.allclose(got["y"], r * np.sin(theta))
    num = view.numbers(tbl)
    assert list(num.columns)[2:-2] == [schema.benchmark_labels(board)[b] for b in bench]
    png = render.figure_bytes(view.figure(tbl, params, "radar"), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    one = view.Params(models=params.models[:1])
    assert render.figure_bytes(view.figure(view.table(snap, one), one, "radar"), "png") != png


def test_differences_by_hand():
    # b/two: 10 20 30 40 50 -; a/one: 60 80 40 20 100 0; per benchmark, the mean of the two
    # (GSM8K: a/one's alone, b/two has none)
    tbl = view.table(snap_of(), view.Params(models=("b/two", "a/one")))
    two, one = tbl.iloc[:6], tbl.iloc[6:]
    assert two["difference"].tolist()[:5] == [-25.0, -30.0, -5.0, 10.0, -25.0]
    assert math.isnan(two["difference"].iloc[5])
    assert one["difference"].tolist() == [25.0, 30.0, 5.0, -10.0, 25.0, 0.0]
    assert view.empty_figure(tbl, None, "differences") is None
    assert view.empty_figure(tbl, None, "radar") is None


def test_differences_need_two_models():
    one = view.Params(models=("c/three",))
    tbl = view.table(snap_of(), one)
    assert tbl["difference"].tolist() == [0.0] * 6
    why = view.empty_figure(tbl, one, "differences")
    assert why and "two or more" in why
    with pytest.raises(inputs.EmptySelection, match="two or more"):
        view.figure(tbl, one, "differences")


def test_differences_figure_draws_a_bar_and_a_label_per_model_and_benchmark():
    params = view.Params(models=("b/two", "a/one", "c/three"))
    tbl = view.table(snap_of(), params)
    fig = view.figure(tbl, params, "differences")
    # 6 benchmarks x 3 models, less b/two's missing GSM8K
    drawn = fig.data  # what the bars and their labels draw
    assert len(drawn) == 17
    mean = {"ARC": (10 + 60 + 50) / 3, "GSM8K": (0 + 50) / 2}
    arc = drawn.loc[drawn["benchmark_label"] == "ARC"].set_index("model")["difference"]
    assert math.isclose(arc["a/one"], 60 - mean["ARC"]) and math.isclose(arc["b/two"], 10 - mean["ARC"])
    assert sorted(drawn["text"].loc[drawn["benchmark_label"] == "GSM8K"]) == ["+25.00", "-25.00"]
    png = render.figure_bytes(fig, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
