"""Parameters and Score: hand-worked tables, an independent computation on both boards,
forged inputs, figures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import inputs
from llmtrends.views import params_score as view

FT, CHAT, MERGE = schema.TYPE_FINETUNED, schema.TYPE_CHAT, schema.TYPE_MERGE

# repo_id, type, created, average, params_b, size_class
ROWS = [
    ("a/1", FT, "2024-01-05", 40.0, 0.5, "Small"),     # under 1B: score/B 80
    ("a/2", FT, "2024-01-10", 30.0, 2.0, "Small"),     # 15
    ("a/3", CHAT, "2024-02-01", 45.0, 7.0, "Small"),   # 6.428571...
    ("a/11", CHAT, "2024-01-20", 35.0, 5.0, "Small"),  # 7
    ("a/4", FT, "2024-02-10", 50.0, 10.0, "Medium"),   # 5
    ("a/5", CHAT, "2024-03-01", 60.0, 30.0, "Medium"),  # 2
    ("a/6", FT, "2024-03-05", 70.0, 70.0, "Large"),    # 1
    ("a/7", FT, None, 60.0, 7.0, "Small"),             # no date: left out
    ("a/8", FT, "2024-01-02", 55.0, np.nan, None),     # params unknown: left out
    ("a/9", MERGE, "2024-01-03", 20.0, 8.0, "Small"),  # type not ticked in most tests
    ("a/10", FT, "2022-03-02", 65.0, 7.0, "Small"),    # Hub placeholder date: left out
]


def snap_of(rows=ROWS) -> store.Snapshot:
    models = pd.DataFrame(rows, columns=["repo_id", "type", "created_at", "average", "params_b", "size_class"])
    models["created_at"] = pd.to_datetime(models["created_at"])
    models["created_at_placeholder"] = models["repo_id"] == "a/10"
    return store.Snapshot(board="v2", models=models, commit_authors=None, manifest={})


def params(**kw) -> view.Params:
    base = dict(start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31), types=(FT, CHAT), exclude_small=True)
    base.update(kw)
    return view.Params(**base)


def test_table_by_hand_without_small_models():
    tbl = view.table(snap_of(), params())
    assert list(tbl.columns) == list(view.CSV_COLUMNS)
    assert tbl["repo_id"].tolist() == ["a/2", "a/11", "a/3", "a/4", "a/5", "a/6"]  # by class, then params
    assert tbl.attrs["models_shown"] == 6
    per = dict(zip(tbl["repo_id"], tbl["score_per_b"]))
    assert per["a/2"] == pytest.approx(15.0) and per["a/3"] == pytest.approx(45 / 7) and per["a/6"] == 1.0
    summary = tbl.drop_duplicates("size_class").set_index("size_class")
    assert summary.loc["Small", "class_models"] == 3
    assert summary.loc["Small", "class_median_score_per_b"] == pytest.approx(7.0)
    assert summary.loc["Small", "class_mean_score_per_b"] == pytest.approx((15 + 45 / 7 + 7) / 3)
    assert summary.loc["Small", "class_median_average"] == pytest.approx(35.0)
    assert summary.loc["Medium", "class_models"] == 2
    assert summary.loc["Medium", "class_median_score_per_b"] == pytest.approx(3.5)
    assert summary.loc["Medium", "class_mean_score_per_b"] == pytest.approx(3.5)
    assert summary.loc["Medium", "class_median_average"] == pytest.approx(55.0)
    assert summary.loc["Large", "class_models"] == 1
    assert summary.loc["Large", "class_median_score_per_b"] == pytest.approx(1.0)


def test_table_by_hand_with_small_models_and_class_summary():
    tbl = view.table(snap_of(), params(exclude_small=False))
    small = tbl[tbl["size_class"] == "Small"]
    assert sorted(small["repo_id"]) == ["a/1", "a/11", "a/2", "a/3"]
    assert small["class_median_score_per_b"].iloc[0] == pytest.approx((7 + 15) / 2)
    assert small["class_mean_score_per_b"].iloc[0] == pytest.approx((80 + 15 + 45 / 7 + 7) / 4)
    summary = view.class_summary(tbl)
    assert summary[["size_class", "statistic", "models"]].values.tolist() == [
        ["Small", "Median", 4], ["Small", "Mean", 4], ["Medium", "Median", 2], ["Medium", "Mean", 2],
        ["Large", "Median", 1], ["Large", "Mean", 1]]
    assert summary["value"].iloc[0] == pytest.approx(11.0)


def test_date_range_and_types_filter_by_hand():
    tbl = view.table(snap_of(), params(end=dt.date(2024, 1, 31), types=(FT, MERGE), exclude_small=False))
    assert sorted(tbl["repo_id"]) == ["a/1", "a/2", "a/9"]  # a/8 has no params, a/10 a placeholder date
    assert tbl["class_median_score_per_b"].iloc[0] == pytest.approx(15.0)  # 80, 15, 2.5


def test_empty_selections_are_friendly():
    with pytest.raises(inputs.EmptySelection, match="No models"):
        view.table(snap_of(), params(start=dt.date(2023, 1, 1), end=dt.date(2023, 6, 1)))
    with pytest.raises(inputs.EmptySelection, match="No models"):  # the only model is under 1B
        view.table(snap_of(), params(start=dt.date(2024, 1, 5), end=dt.date(2024, 1, 5)))
    with pytest.raises(inputs.EmptySelection, match="Tick at least one"):
        view.Params.from_inputs({"types": []}, snap_of())
    with pytest.raises(inputs.EmptySelection, match="before the start"):
        view.Params.from_inputs({"dates": ("2024-03-01", "2024-01-01")}, snap_of())


def test_inputs_parse_into_params():
    p = view.Params.from_inputs({"dates": ("2024-01-02", "2024-02-01"), "types": [CHAT, FT],
                                 "exclude_small": False}, snap_of())
    assert p == view.Params(start=dt.date(2024, 1, 2), end=dt.date(2024, 2, 1), types=(FT, CHAT),
                            exclude_small=False)
    d = view.Params.defaults(snap_of())
    # a/8 (no params) still sets the first date: the date bounds are the board's
    assert (d.start, d.end, d.exclude_small) == (dt.date(2024, 1, 2), dt.date(2024, 3, 5), True)
    assert d.types == (FT, CHAT, MERGE)


@pytest.mark.parametrize("raw, needle", [
    ({"types": ["not a type"]}, "unknown value"),
    ({"types": [FT, 3]}, "unknown value"),
    ({"types": {"a": 1}}, "expected a list"),
    ({"dates": ("2024-13-45", "2024-02-01")}, "not a date"),
    ({"dates": ("2024-01-01", 20240201)}, "not a date"),
    ({"dates": "2024-01-01"}, "start and an end"),
    ({"dates": ("0001-01-01", "9999-12-31")}, "outside the board's dates"),
    ({"dates": ("2024-01-02", "2024-03-06")}, "end: 2024-03-06 is outside the board's dates"),  # a day past the picker's max
    ({"exclude_small": "yes"}, "true or false"),
    ({"exclude_small": 1}, "true or false"),
])
def test_forged_inputs_are_rejected(raw, needle):
    with pytest.raises(inputs.InvalidInput, match=needle):
        view.Params.from_inputs(raw, snap_of())


def test_unknown_figure_is_rejected():
    tbl = view.table(snap_of(), params())
    with pytest.raises(inputs.InvalidInput):
        view.figure(tbl, params(), "pie")


@pytest.mark.parametrize("board", ["v1", "v2"])
@pytest.mark.parametrize("exclude_small", [True, False])
def test_independent_computation_on_real_data(snapshot_dir, board, exclude_small):
    """Class summaries from the processed models with plain pandas, from the method text."""
    snap = store.read_snapshot(snapshot_dir, board)
    d = view.Params.defaults(snap)
    p = view.Params(start=d.start, end=d.end, types=d.types, exclude_small=exclude_small)
    tbl = view.table(snap, p)

    m = snap.models
    real_date = m["created_at"].notna() & (m["created_at"].dt.strftime("%Y-%m-%d") != "2022-03-02")
    keep = real_date & m["type"].notna() & m["average"].notna() & m["params_b"].notna() & (m["params_b"] > 0)
    if exclude_small:
        keep &= m["params_b"] >= 1
    m = m[keep]
    # size class from the thresholds of the method (Small <= 9B, Medium 9-40B, Large > 40B)
    cls = np.where(m["params_b"] <= 9, "Small", np.where(m["params_b"] <= 40, "Medium", "Large"))
    ratio = (m["average"] / m["params_b"]).to_numpy()
    expected = {}
    for name in ("Small", "Medium", "Large"):
        values = np.sort(ratio[cls == name])
        expected[name] = (len(values), float(np.median(values)), float(values.mean()))

    assert len(tbl) == sum(v[0] for v in expected.values())
    got = tbl.drop_duplicates("size_class").set_index("size_class")
    for name, (n, med, mean) in expected.items():
        assert got.loc[name, "class_models"] == n
        assert got.loc[name, "class_median_score_per_b"] == pytest.approx(med)
        assert got.loc[name, "class_mean_score_per_b"] == pytest.approx(mean)
    # the diminishing return the view is about holds on both boards
    assert expected["Small"][1] > expected["Medium"][1] > expected["Large"][1]


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_figures_render_and_follow_parameters(snapshot_dir, board):
    snap = store.read_snapshot(snapshot_dir, board)
    d = view.Params.defaults(snap)
    other = view.Params(start=d.start, end=d.end, types=d.types[:2], exclude_small=False)
    for which in view.FIGURES:
        a = render.figure_bytes(view.figure(view.table(snap, d), d, which), "png")
        b = render.figure_bytes(view.figure(view.table(snap, other), other, which), "png")
        assert a[:8] == b"\x89PNG\r\n\x1a\n" and b[:8] == b"\x89PNG\r\n\x1a\n"
        assert a != b
