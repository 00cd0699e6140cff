"""Models Architecture Popularity: hand-worked changes, v1 fidelity, forged inputs, figures."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import architecture_popularity as view
from llmtrends.views import inputs, selection


def snap_of(rows: list[tuple[str, str, str | None]], placeholder: set[str] = frozenset()) -> store.Snapshot:
    """A snapshot from (repo_id, architecture_family, created date) rows."""
    models = pd.DataFrame(rows, columns=["repo_id", "architecture_family", "created_at"])
    models["created_at"] = pd.to_datetime(models["created_at"])
    models["created_at_placeholder"] = models["repo_id"].isin(placeholder)
    models["type"] = "pretrained"
    models["average"] = 50.0
    return store.Snapshot(board="v1", models=models, commit_authors=None, manifest={})


# 2024-01-01 is a Monday. Weekly counts: A = 3, 1, 0, 2 ; B = 1, 3, 1, 0 ; C only outside.
ROWS = [
    ("a/1", "A", "2024-01-01"), ("a/2", "A", "2024-01-02"), ("a/3", "A", "2024-01-07"),  # A week 1
    ("a/4", "A", "2024-01-09"),                                                          # A week 2
    ("a/5", "A", "2024-01-22"), ("a/6", "A", "2024-01-28"),                              # A week 4
    ("b/1", "B", "2024-01-05"),                                                          # B week 1
    ("b/2", "B", "2024-01-08"), ("b/3", "B", "2024-01-10"), ("b/4", "B", "2024-01-14"),  # B week 2
    ("b/5", "B", "2024-01-15"),                                                          # B week 3
    ("c/1", "C", "2024-03-01"),
    ("x/1", "A", None),                                                                  # no date
]
NAN = float("nan")


def close(a, b) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) < 1e-9


def test_weekly_change_vs_previous_and_vs_mean_by_hand():
    snap = snap_of(ROWS)
    params = view.Params(start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 28), families=("A", "B"),
                         aggregation="week")
    tbl = view.table(snap, params)
    assert list(tbl.columns) == list(view.CSV_COLUMNS)
    assert len(tbl) == 8 and tbl.attrs["models_shown"] == 11
    got = {(r.family, r.period.strftime("%m-%d")): r for r in tbl.itertuples()}
    weeks = ["01-01", "01-08", "01-15", "01-22"]
    expected = {
        # family: (n, n - previous, period mean, n - mean)
        "A": [(3, NAN, 2.0, 1.0), (1, -2, 2.0, -1.0), (0, -1, 0.5, -0.5), (2, 2, 1.0, 1.0)],
        "B": [(1, NAN, 2.0, -1.0), (3, 2, 2.0, 1.0), (1, -2, 0.5, 0.5), (0, -1, 1.0, -1.0)],
    }
    for fam, vals in expected.items():
        for week, (n, prev, mean, vs_mean) in zip(weeks, vals):
            r = got[(fam, week)]
            assert r.new_models == n
            assert close(r.change_vs_previous, prev)
            assert close(r.period_mean, mean) and close(r.change_vs_mean, vs_mean)


def test_monthly_smoothing_by_hand():
    """Window of 3 months, centred; the first period has no change vs previous."""
    rows = [(f"a/{i}", "A", d) for i, d in enumerate(
        ["2024-01-05", "2024-01-06", "2024-01-07", "2024-02-01", "2024-04-02", "2024-04-03"])]
    rows += [("b/1", "B", "2024-03-10")]
    snap = snap_of(rows)
    params = view.Params(start=dt.date(2024, 1, 1), end=dt.date(2024, 4, 30), families=("A", "B"),
                         aggregation="month")
    tbl = view.table(snap, params)
    a = tbl[tbl["family"] == "A"]
    assert a["new_models"].tolist() == [3, 1, 0, 2]
    # change vs previous: NaN, -2, -1, 2 -> smoothed NaN, mean(-2,-1), mean(-2,-1,2), mean(-1,2)
    for got, want in zip(a["change_vs_previous_smooth"], [NAN, -1.5, -1 / 3, 0.5]):
        assert close(got, want)
    # period means: 1.5, 0.5, 0.5, 1 -> A vs mean 1.5, 0.5, -0.5, 1 -> smoothed
    for got, want in zip(a["change_vs_mean_smooth"], [1.0, 0.5, 1 / 3, 0.25]):
        assert close(got, want)


def test_mean_is_over_the_selected_families_only():
    snap = snap_of(ROWS)
    params = view.Params(start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 28), families=("A",),
                         aggregation="week")
    tbl = view.table(snap, params)
    assert tbl["family"].unique().tolist() == ["A"]
    assert tbl["period_mean"].tolist() == [3.0, 1.0, 0.0, 2.0]
    assert (tbl["change_vs_mean"] == 0).all()


def test_placeholder_dates_are_left_out():
    rows = ROWS + [("old/1", "B", "2022-03-02"), ("old/2", "B", "2022-03-03")]
    snap = snap_of(rows, placeholder={"old/1"})
    params = view.Params(start=dt.date(2022, 3, 1), end=dt.date(2022, 3, 3), families=("B",),
                         aggregation="day")
    tbl = view.table(snap, params)
    assert tbl["new_models"].tolist() == [0, 0, 1]


def test_empty_and_single_period_selections():
    snap = snap_of(ROWS)
    with pytest.raises(inputs.EmptySelection, match="No models"):
        view.table(snap, view.Params(start=dt.date(2024, 2, 1), end=dt.date(2024, 2, 20), families=("A", "B")))
    with pytest.raises(inputs.EmptySelection, match="single month"):
        view.table(snap, view.Params(start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 28), families=("A",),
                                     aggregation="month"))
    with pytest.raises(inputs.EmptySelection, match="Tick at least one"):
        view.Params.from_inputs({"families": []}, snap)
    with pytest.raises(inputs.EmptySelection, match="before the start"):
        view.Params.from_inputs({"dates": ("2024-02-01", "2024-01-01")}, snap)


def test_defaults_and_valid_inputs():
    snap = snap_of(ROWS)
    d = view.Params.defaults(snap)
    assert (d.start, d.end, d.aggregation) == (dt.date(2024, 1, 1), dt.date(2024, 3, 1), "week")
    assert d.families == ("A", "B", "C")  # largest first
    p = view.Params.from_inputs({"dates": ["2024-01-02", "2024-01-20"], "families": ["B", "A"],
                                 "aggregation": "day"}, snap)
    assert p == view.Params(dt.date(2024, 1, 2), dt.date(2024, 1, 20), ("A", "B"), "day")


@pytest.mark.parametrize("raw, needle", [
    ({"families": ["Transformer-XL"]}, "unknown value"),
    ({"families": "LLama; DROP"}, "unknown value"),
    ({"families": [3]}, "unknown value"),
    ({"families": {"A": 1}}, "expected a list"),
    ({"dates": ("2024-13-45", "2024-02-01")}, "not a date"),
    ({"dates": ("2024-01-01", 20240201)}, "not a date"),
    ({"dates": "2024-01-01"}, "start and an end"),
    ({"dates": ("0001-01-01", "9999-12-31")}, "outside the board's dates"),
    ({"dates": ("2024-01-01", "2024-03-02")}, "end: 2024-03-02 is outside the board's dates"),  # a day past the picker's max
    ({"aggregation": "year"}, "not one of"),
    ({"aggregation": 7}, "not one of"),
])
def test_forged_inputs_are_rejected(raw, needle):
    with pytest.raises(inputs.InvalidInput, match=needle):
        view.Params.from_inputs(raw, snap_of(ROWS))


def test_unknown_figure_is_rejected():
    snap = snap_of(ROWS)
    p = view.Params.defaults(snap)
    with pytest.raises(inputs.InvalidInput):
        view.figure(view.table(snap, p), p, "pie")


def test_fidelity_on_v1_study_defaults(snapshot_dir):
    """Whole range, every family, weekly: recomputed with a wide pivot instead of long groupbys."""
    snap = store.read_snapshot(snapshot_dir, "v1")
    params = view.Params.defaults(snap)
    assert params.aggregation == "week"
    tbl = view.table(snap, params)

    m = snap.models[["created_at", "architecture_family"]].dropna()
    m = m[m["created_at"].dt.strftime("%Y-%m-%d") != "2022-03-02"]
    week = m["created_at"].dt.to_period("W-SUN").dt.start_time
    wide = pd.crosstab(week, m["architecture_family"])
    weeks = pd.period_range(week.min(), week.max(), freq="W-SUN").start_time
    wide = wide.reindex(index=weeks, columns=list(params.families), fill_value=0)
    # the range starts on the board's first day and ends on its last, a Monday: its last
    # week is one day long, left out of the changes and the smoothing (defect 5)
    assert params.end.weekday() == 0 and weeks[-1] == pd.Timestamp(params.end)
    whole = wide.astype(float)
    whole.iloc[-1] = np.nan
    prev = whole.diff()
    vs_mean = whole.sub(wide.mean(axis=1), axis=0)
    prev_s = prev.rolling(5, center=True, min_periods=1).mean().where(prev.notna())
    mean_s = vs_mean.rolling(5, center=True, min_periods=1).mean().where(vs_mean.notna())

    assert len(tbl) == wide.size
    assert tbl["new_models"].sum() == len(m) == tbl.attrs["models_shown"]
    for col, exp in [("new_models", wide), ("change_vs_previous", prev), ("change_vs_mean", vs_mean),
                     ("change_vs_previous_smooth", prev_s), ("change_vs_mean_smooth", mean_s)]:
        got = tbl.pivot(index="period", columns="family", values=col)[list(params.families)]
        pd.testing.assert_frame_equal(got.astype(float), exp.astype(float), check_names=False,
                                      check_freq=False, check_index_type=False)


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_figures_render_and_follow_parameters(snapshot_dir, board):
    snap = store.read_snapshot(snapshot_dir, board)
    d = view.Params.defaults(snap)
    other = view.Params(start=d.start, end=d.end, families=d.families[:3], aggregation="month")
    for which in view.FIGURES:
        a = render.figure_bytes(view.figure(view.table(snap, d), d, which), "png")
        b = render.figure_bytes(view.figure(view.table(snap, other), other, which), "png")
        assert a[:8] == b"\x89PNG\r\n\x1a\n" and b[:8] == b"\x89PNG\r\n\x1a\n"
        assert a != b


def test_default_families_are_the_nine_largest_and_other():
    present = [f"F{i}" for i in range(12)] + ["Other"]
    assert view.default_families(present) == tuple(f"F{i}" for i in range(9)) + ("Other",)
    assert view.default_families(["A", "B"]) == ("A", "B")


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_real_boards_tick_every_family_by_default(snapshot_dir, board):
    # both real boards have at most nine families plus Other: the default is all of them
    snap = store.read_snapshot(snapshot_dir, board)
    assert view.Params.defaults(snap).families == tuple(selection.present_families(snap.models))
    assert view.family_choices(snap) == tuple(selection.present_families(snap.models))


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_small_multiples_draw_one_panel_per_family_without_minor_ticks(snapshot_dir, board):
    # one panel per ticked family, each with its filled area and its upper edge, and no minor
    # ticks or minor grid (the light small multiples: see figure())
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    snap = store.read_snapshot(snapshot_dir, board)
    d = view.Params.defaults(snap)
    tbl = view.table(snap, d)
    for which in view.FIGURES:
        mfig = view.figure(tbl, d, which).draw()
        try:
            panels = [ax for ax in mfig.axes if ax.collections or ax.lines]
            assert len(panels) == len(d.families)
            for ax in panels:
                assert list(ax.xaxis.get_minorticklocs()) == [] and list(ax.yaxis.get_minorticklocs()) == []
                assert sum(isinstance(col, PolyCollection) for col in ax.collections) == 1  # the area
                # the upper edge only: one line (a collection or a Line2D), no zero line
                assert len(ax.lines) + sum(not isinstance(col, PolyCollection) for col in ax.collections) == 1
        finally:
            plt.close(mfig)


def test_a_family_without_change_still_shows_its_line():
    # B's weekly counts are 1, 1, 1: no change against the previous week, a zero area; its
    # upper edge is still drawn at zero (with only a fill, the panel would look empty)
    import matplotlib.pyplot as plt

    rows = [("a/1", "A", "2024-01-01"), ("a/2", "A", "2024-01-02"), ("a/3", "A", "2024-01-09"),
            ("b/1", "B", "2024-01-01"), ("b/2", "B", "2024-01-08"), ("b/3", "B", "2024-01-15")]
    snap = snap_of(rows)
    params = view.Params(start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 21), families=("A", "B"))
    tbl = view.table(snap, params)
    b = tbl.loc[tbl["family"] == "B"]
    assert b["change_vs_previous"].dropna().tolist() == [0.0, 0.0]
    mfig = view.figure(tbl, params, "vs_previous").draw()
    try:
        panel_b = [ax for ax in mfig.axes if ax.collections or ax.lines][1]
        edges = list(panel_b.lines) + [col for col in panel_b.collections if col.get_paths()
                                        and type(col).__name__ == "LineCollection"]
        assert edges, "B's panel has no line"
        ys = [y for e in edges for y in (e.get_ydata() if hasattr(e, "get_ydata")
                                        else [v[1] for p in e.get_paths() for v in p.vertices])]
        assert ys and all(y == 0 for y in ys)
    finally:
        plt.close(mfig)
