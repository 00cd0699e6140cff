"""Mixture of Experts: hand-worked tables, an independent computation on both boards,
forged inputs, figures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from llmtrends import render, schema, store
from llmtrends.views import common as vc
from llmtrends.views import moe as view

FT = schema.TYPE_FINETUNED

# repo_id, moe, created, average, params_b, size_class
ROWS = [
    ("m/1", True, "2024-01-05", 40.0, 8.0, "Small"),
    ("m/2", True, "2024-02-10", 60.0, 46.7, "Large"),
    ("m/3", True, "2024-02-11", 50.0, 12.9, "Medium"),
    ("d/1", False, "2024-01-06", 30.0, 7.0, "Small"),
    ("d/2", False, "2024-01-07", 35.0, 2.0, "Small"),
    ("d/3", False, "2024-03-01", 55.0, 14.0, "Medium"),
    ("d/4", False, "2024-03-02", 70.0, 70.0, "Large"),
    ("d/5", False, None, 65.0, 7.0, "Small"),           # no date: left out
    ("d/6", False, "2024-01-08", 45.0, np.nan, None),   # params unknown: left out
    ("d/7", False, "2022-03-02", 25.0, 7.0, "Small"),   # placeholder date: left out
    ("m/4", True, "2024-04-01", 66.0, 141.0, "Large"),  # after the range in most tests
]


def snap_of(rows=ROWS) -> store.Snapshot:
    models = pd.DataFrame(rows, columns=["repo_id", "moe", "created_at", "average", "params_b", "size_class"])
    models["moe"] = models["moe"].astype("boolean")
    models["created_at"] = pd.to_datetime(models["created_at"])
    models["created_at_placeholder"] = models["repo_id"] == "d/7"
    models["type"] = FT
    models["architecture_family"] = "Mistral"
    return store.Snapshot(board="v2", models=models, commit_authors=None, manifest={})


def params(**kw) -> view.Params:
    base = dict(start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31), sizes=schema.SIZE_CLASSES)
    base.update(kw)
    return view.Params(**base)


def test_table_by_hand():
    tbl = view.table(snap_of(), params())
    assert list(tbl.columns) == list(view.CSV_COLUMNS)
    assert tbl["repo_id"].tolist() == ["m/1", "m/3", "m/2", "d/2", "d/1", "d/3", "d/4"]
    assert tbl["experts"].tolist() == ["MoE"] * 3 + ["Dense"] * 4
    assert tbl["group_models"].tolist() == [3] * 3 + [4] * 4
    assert tbl["group_class_models"].tolist() == [1, 1, 1, 2, 2, 1, 1]
    assert tbl.attrs["models_shown"] == 7


def test_counts_by_hand():
    tbl = view.table(snap_of(), params())
    n = view.counts(tbl, schema.SIZE_CLASSES).set_index(["panel", "experts"])
    assert n.loc[(view.ALL_SIZES, "MoE"), "models"] == 3
    assert n.loc[(view.ALL_SIZES, "MoE"), "median_average"] == 50.0
    assert n.loc[(view.ALL_SIZES, "Dense"), "models"] == 4
    assert n.loc[(view.ALL_SIZES, "Dense"), "median_average"] == pytest.approx((35 + 55) / 2)
    assert n.loc[("Small", "Dense"), "median_average"] == pytest.approx(32.5)
    assert n.loc[("Large", "MoE"), "models"] == 1
    assert len(n) == 8


def test_size_filter_and_range_by_hand():
    tbl = view.table(snap_of(), params(sizes=("Large",), end=dt.date(2024, 4, 1)))
    assert sorted(tbl["repo_id"]) == ["d/4", "m/2", "m/4"]
    assert tbl.set_index("repo_id").loc["m/4", "group_models"] == 2
    n = view.counts(tbl, ("Large",))
    assert n["panel"].tolist() == [view.ALL_SIZES] * 2 + ["Large"] * 2
    # a group with no model in a panel is counted as zero, not dropped
    tbl = view.table(snap_of(), params(end=dt.date(2024, 1, 31), sizes=("Small",)))
    assert sorted(tbl["repo_id"]) == ["d/1", "d/2", "m/1"]


def test_empty_selections_are_friendly():
    with pytest.raises(vc.EmptySelection, match="No models"):
        view.table(snap_of(), params(start=dt.date(2023, 1, 1), end=dt.date(2023, 2, 1)))
    with pytest.raises(vc.EmptySelection, match="size class"):
        view.Params.from_inputs({"sizes": []}, snap_of())
    with pytest.raises(vc.EmptySelection, match="before the start"):
        view.Params.from_inputs({"dates": ("2024-03-01", "2024-01-01")}, snap_of())


def test_inputs_parse_into_params():
    p = view.Params.from_inputs({"dates": ("2024-01-05", "2024-02-01"), "sizes": ["Large", "Small"]}, snap_of())
    assert p == view.Params(start=dt.date(2024, 1, 5), end=dt.date(2024, 2, 1), sizes=("Small", "Large"))
    d = view.Params.defaults(snap_of())
    assert (d.start, d.end, d.sizes) == (dt.date(2024, 1, 5), dt.date(2024, 4, 1), ("Small", "Medium", "Large"))


@pytest.mark.parametrize("raw, needle", [
    ({"sizes": ["Huge"]}, "unknown value"),
    ({"sizes": ["small"]}, "unknown value"),
    ({"sizes": 3}, "expected a list"),
    ({"dates": ("2024-13-45", "2024-02-01")}, "not a date"),
    ({"dates": ("2024-01-01",)}, "start and an end"),
    ({"dates": [None, "2024-01-01"]}, "not a date"),
    ({"dates": ("0001-01-01", "9999-12-31")}, "outside the board's dates"),
    ({"dates": ("2024-01-05", "2024-04-02")}, "end: 2024-04-02 is outside the board's dates"),  # a day past the picker's max
])
def test_forged_inputs_are_rejected(raw, needle):
    with pytest.raises(vc.InvalidInput, match=needle):
        view.Params.from_inputs(raw, snap_of())


def test_unknown_figure_is_rejected():
    with pytest.raises(vc.InvalidInput):
        view.figure(view.table(snap_of(), params()), params(), "violin")


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_independent_computation_on_real_data(snapshot_dir, board):
    """Counts and medians per (size class, MoE) from the processed models with plain pandas."""
    snap = store.read_snapshot(snapshot_dir, board)
    p = view.Params.defaults(snap)
    tbl = view.table(snap, p)

    m = snap.models
    real_date = m["created_at"].notna() & (m["created_at"].dt.strftime("%Y-%m-%d") != "2022-03-02")
    m = m[real_date & m["average"].notna() & m["params_b"].notna() & (m["params_b"] > 0)]
    cls = np.where(m["params_b"] <= 9, "Small", np.where(m["params_b"] <= 40, "Medium", "Large"))
    expected = {}
    for (size, is_moe), scores in m["average"].groupby([cls, m["moe"].astype(bool).to_numpy()]):
        expected[(size, "MoE" if is_moe else "Dense")] = (len(scores), float(scores.median()))
    for is_moe, scores in m["average"].groupby(m["moe"].astype(bool)):
        expected[(view.ALL_SIZES, "MoE" if is_moe else "Dense")] = (len(scores), float(scores.median()))

    got = view.counts(tbl, p.sizes).set_index(["panel", "experts"])
    assert len(tbl) == len(m)
    for key, (n, med) in expected.items():
        assert got.loc[key, "models"] == n, key
        assert got.loc[key, "median_average"] == pytest.approx(med), key
    assert expected[(view.ALL_SIZES, "MoE")][0] > 0


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_figures_render_and_follow_parameters(snapshot_dir, board):
    snap = store.read_snapshot(snapshot_dir, board)
    d = view.Params.defaults(snap)
    other = view.Params(start=d.start, end=d.end, sizes=("Medium", "Large"))
    for which in view.FIGURES:
        a = render.figure_bytes(view.figure(view.table(snap, d), d, which), "png")
        b = render.figure_bytes(view.figure(view.table(snap, other), other, which), "png")
        assert a[:8] == b"\x89PNG\r\n\x1a\n" and b[:8] == b"\x89PNG\r\n\x1a\n"
        assert a != b


@pytest.mark.parametrize("n_moe, n_dense, drawn_moe, drawn_dense", [
    (8, 30, 5, 5),    # both over: MoE keep half of the cap, dense the other half
    (3, 30, 3, 7),    # few MoE: all of them, dense fill the cap
    (20, 3, 7, 3),    # few dense: all of them, MoE fill the cap
    (4, 5, 4, 5),     # under the cap: every model
])
def test_scatter_draws_at_most_the_cap_in_all(monkeypatch, n_moe, n_dense, drawn_moe, drawn_dense):
    monkeypatch.setattr(vc, "MAX_POINTS", 10)
    tbl = pd.DataFrame({"experts": ["MoE"] * n_moe + ["Dense"] * n_dense,
                        "params_b": np.arange(1.0, n_moe + n_dense + 1), "average": 50.0})
    pts = view.scatter_points(tbl, params())
    assert int((pts["experts"] == "MoE").sum()) == drawn_moe
    assert int((pts["experts"] == "Dense").sum()) == drawn_dense
    facts = vc.drawn_facts(pts)
    assert facts["counts"] == {"MoE": n_moe, "Dense": n_dense}
    want = [f"{d} of {n} {w} models drawn (a random sample)"
            for d, n, w in ((drawn_moe, n_moe, "MoE"), (drawn_dense, n_dense, "dense")) if d < n]
    assert facts["caption"] == "; ".join(want)


def test_box_stats_by_hand():
    # Dense scores 1..9 and 40: quartiles (linear) 3.25 / 5.5 / 7.75, IQR 4.5, fences
    # -3.5 and 14.5, so 40 is an outlier and the upper whisker stops at 9. MoE: one score.
    dense = [float(v) for v in range(1, 10)] + [40.0]
    tbl = pd.DataFrame({"experts": [view.DENSE] * 10 + [view.MOE],
                        "size_class": ["Small"] * 10 + ["Large"],
                        "average": dense + [50.0]})
    stats = view.box_stats(tbl, ("Small", "Large"))
    rows = {(r.panel, r.experts): r for r in stats.itertuples()}
    d = rows[(view.ALL_SIZES, view.DENSE)]
    assert (d.n, d.q1, d.median, d.q3, d.whislo, d.whishi, d.outliers) == (10, 3.25, 5.5, 7.75, 1.0, 9.0, [40.0])
    assert rows[("Small", view.DENSE)].outliers == [40.0]
    m = rows[("Large", view.MOE)]
    assert (m.n, m.q1, m.median, m.q3, m.whislo, m.whishi, m.outliers) == (1, 50.0, 50.0, 50.0, 50.0, 50.0, [])
    # groups without models are not drawn: no (Small, MoE) or (Large, Dense) box
    assert set(rows) == {(view.ALL_SIZES, view.DENSE), (view.ALL_SIZES, view.MOE),
                         ("Small", view.DENSE), ("Large", view.MOE)}


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_box_stats_equal_plotnines_boxplot_statistics(snapshot_dir, board):
    # the boxes the figure draws are the ones plotnine's stat_boxplot computes
    from plotnine.stats.stat_boxplot import weighted_boxplot_stats

    snap = store.read_snapshot(snapshot_dir, board)
    params = view.Params.defaults(snap)
    tbl = view.table(snap, params)
    stats = view.box_stats(tbl, params.sizes)
    assert len(stats) >= 6
    for r in stats.itertuples():
        part = tbl if r.panel == view.ALL_SIZES else tbl.loc[tbl["size_class"] == r.panel]
        ref = weighted_boxplot_stats(part.loc[part["experts"] == r.experts, "average"].to_numpy(), whis=1.5)
        assert (r.q1, r.median, r.q3) == pytest.approx((ref["q1"], ref["med"], ref["q3"]))
        assert (r.whislo, r.whishi) == pytest.approx((ref["whislo"], ref["whishi"]))
        assert sorted(r.outliers) == pytest.approx(sorted(ref["fliers"]))
