"""Total Models and Average Score: hand-worked model rows and running totals, v1 fidelity,
forged inputs, figures (loess included) on both boards."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import inputs
from llmtrends.views import score_trends as view

FT, CHAT, MERGE = schema.TYPE_FINETUNED, schema.TYPE_CHAT, schema.TYPE_MERGE

# 2024-01-01 is a Monday.
MODELS = [
    # repo_id, type, average, created_at, placeholder
    ("a/m1", FT, 50.0, "2024-01-01 08:00", False),
    ("a/m2", FT, 60.0, "2024-01-03", False),
    ("a/m3", CHAT, 40.0, "2024-01-09", False),
    ("a/m4", FT, 70.0, "2024-01-20", False),
    ("a/m5", CHAT, 90.0, "2022-03-02", True),   # the Hub's placeholder date: left out
    ("a/m6", MERGE, 30.0, "2024-01-10", False),  # a type not selected below
    ("a/m7", FT, 80.0, None, False),            # no date: left out
]


def snap_of() -> store.Snapshot:
    models = pd.DataFrame(MODELS, columns=["repo_id", "type", "average", "created_at", "created_at_placeholder"])
    models["created_at"] = pd.to_datetime(models["created_at"], format="ISO8601")
    return store.Snapshot(board="v1", models=models, commit_authors=None, manifest={})


def params(start="2024-01-01", end="2024-01-21", types=(FT, CHAT), aggregation="week") -> view.Params:
    return view.Params(dt.date.fromisoformat(start), dt.date.fromisoformat(end), tuple(types), aggregation)


def model_rows(tbl):
    m = tbl[tbl["series"] == "model"]
    return [(r.repo_id, r.type, r.created_at.strftime("%m-%d"), r.average) for r in m.itertuples()]


def total_rows(tbl):
    t = tbl[tbl["series"] == "cumulative"]
    return [(r.period.strftime("%m-%d"), r.type, r.new_models, r.total_models) for r in t.itertuples()]


def test_weekly_table_by_hand():
    tbl = view.table(snap_of(), params())
    assert list(tbl.columns) == list(view.CSV_COLUMNS)
    assert model_rows(tbl) == [("a/m1", FT, "01-01", 50.0), ("a/m2", FT, "01-03", 60.0),
                               ("a/m3", CHAT, "01-09", 40.0), ("a/m4", FT, "01-20", 70.0)]
    # weeks of Jan 1, 8, 15 (Jan 21 is the Sunday closing the third week)
    assert total_rows(tbl) == [("01-01", FT, 2, 2), ("01-01", CHAT, 0, 0),
                               ("01-08", FT, 0, 2), ("01-08", CHAT, 1, 1),
                               ("01-15", FT, 1, 3), ("01-15", CHAT, 0, 1)]
    assert tbl.attrs["models_shown"] == 4
    # model rows have no period columns, cumulative rows no model columns
    assert tbl.loc[tbl["series"] == "model", ["period", "new_models", "total_models"]].isna().all().all()
    assert tbl.loc[tbl["series"] == "cumulative", ["repo_id", "created_at", "average"]].isna().all().all()


def test_monthly_totals_and_type_filter():
    tbl = view.table(snap_of(), params(types=(MERGE, FT), aggregation="month"))
    assert total_rows(tbl) == [("01-01", MERGE, 1, 1), ("01-01", FT, 3, 3)]
    assert [r[0] for r in model_rows(tbl)] == ["a/m1", "a/m2", "a/m6", "a/m4"]


def test_totals_count_from_the_start_of_the_range():
    tbl = view.table(snap_of(), params(start="2024-01-02", end="2024-01-14"))
    # a/m1 (Jan 1) is before the range; a/m4 (Jan 20) after it
    assert total_rows(tbl) == [("01-01", FT, 1, 1), ("01-01", CHAT, 0, 0),
                               ("01-08", FT, 0, 1), ("01-08", CHAT, 1, 1)]


def test_daily_totals_zero_filled():
    tbl = view.table(snap_of(), params(start="2024-01-01", end="2024-01-03", types=(FT,), aggregation="day"))
    assert total_rows(tbl) == [("01-01", FT, 1, 1), ("01-02", FT, 0, 1), ("01-03", FT, 1, 2)]


def test_empty_selection():
    with pytest.raises(inputs.EmptySelection):
        view.table(snap_of(), params(start="2023-01-01", end="2023-12-31"))
    with pytest.raises(inputs.EmptySelection):
        view.table(snap_of(), params(types=(schema.TYPE_OTHER,)))


def test_from_inputs_defaults():
    d = view.Params.from_inputs({}, snap_of())
    assert (d.start, d.end) == (dt.date(2024, 1, 1), dt.date(2024, 1, 20))
    assert d.types == (FT, CHAT, MERGE) and d.aggregation == "week"
    p = view.Params.from_inputs({"dates": ("2024-01-02", "2024-01-09"), "types": [CHAT, FT],
                                 "aggregation": "day"}, snap_of())
    assert p == params(start="2024-01-02", end="2024-01-09", types=(FT, CHAT), aggregation="day")


@pytest.mark.parametrize("raw, error", [
    ({"types": []}, inputs.EmptySelection),
    ({"dates": ("2024-01-31", "2024-01-01")}, inputs.EmptySelection),
    ({"types": ["robots"]}, inputs.InvalidInput),
    ({"types": [FT, 3]}, inputs.InvalidInput),
    ({"types": {"a": 1}}, inputs.InvalidInput),
    ({"dates": ("2024-13-45", "2024-01-31")}, inputs.InvalidInput),
    ({"dates": ("2024-01-01",)}, inputs.InvalidInput),
    ({"dates": 20240101}, inputs.InvalidInput),
    ({"dates": ("0001-01-01", "9999-12-31")}, inputs.InvalidInput),  # outside the picker's limits
    ({"dates": ("2023-12-31", "2024-01-20")}, inputs.InvalidInput),  # a day before the board's first date
    ({"aggregation": "year"}, inputs.InvalidInput),
    ({"aggregation": ["week"]}, inputs.InvalidInput),
])
def test_forged_or_empty_inputs(raw, error):
    with pytest.raises(error):
        view.Params.from_inputs(raw, snap_of())


def test_small_types_render_without_a_trend():
    # three FT models and one CHAT: too few for loess, the points still draw
    p = params()
    png = render.figure_bytes(view.figure(view.table(snap_of(), p), p, "scores"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(inputs.InvalidInput):
        view.figure(view.table(snap_of(), p), p, "pie")


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real(snapshot_dir):
    return {b: store.read_snapshot(snapshot_dir, b) for b in schema.BOARDS}


def test_fidelity_v1_study_defaults(real):
    """Whole range, all types, weekly: recomputed from the method description with plain pandas."""
    snap = real["v1"]
    params_ = view.Params.defaults(snap)
    assert params_.aggregation == "week"
    tbl = view.table(snap, params_)

    m = snap.models
    real_date = m["created_at"].notna() & ~m["created_at_placeholder"].fillna(False).astype(bool)
    m = m[real_date & m["type"].notna()]
    assert set(params_.types) == set(m["type"])
    # every dated, typed model once, with its score
    pts = tbl[tbl["series"] == "model"]
    assert sorted(pts["repo_id"]) == sorted(m["repo_id"])
    assert dict(zip(pts["repo_id"], pts["average"])) == dict(zip(m["repo_id"], m["average"]))
    # running totals per type over Monday-start weeks, from the first to the last dated model
    week = m["created_at"].dt.to_period("W-SUN")
    weeks = pd.period_range(week.min(), week.max(), freq="W-SUN")
    counts = pd.crosstab(week, m["type"]).reindex(weeks, fill_value=0)
    expect = counts.cumsum()
    tot = tbl[tbl["series"] == "cumulative"]
    got = tot.pivot(index="period", columns="type", values="total_models").astype(int)
    assert list(got.index) == list(weeks.start_time)
    for t in expect.columns:
        assert got[t].tolist() == expect[t].tolist(), t
    assert tbl.attrs["models_shown"] == len(m)


# The hub board has no average: its score views plot a benchmark (tests/test_hub_views.py).
@pytest.mark.parametrize("board", [b for b in schema.BOARDS if b != schema.HUB_BOARD])
@pytest.mark.parametrize("which", view.FIGURES)
def test_figures_render_and_change(real, board, which):
    snap = real[board]
    d = view.Params.defaults(snap)
    other = view.Params(start=d.start, end=d.end, types=d.types[:2], aggregation="month")
    pngs = [render.figure_bytes(view.figure(view.table(snap, p), p, which)) for p in (d, other)]
    for png in pngs:
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert pngs[0] != pngs[1]


def test_hub_board_without_scores_says_so(real):
    snap = real[schema.HUB_BOARD]  # the real listing sample: no Community Evals results
    with pytest.raises(inputs.EmptySelection, match="^The Hub today board has no scores yet"):
        view.table(snap, view.Params.defaults(snap))


def test_scores_figure_has_a_loess_layer(real):
    snap = real["v1"]
    p = view.Params.defaults(snap)
    fig = view.figure(view.table(snap, p), p, "scores")
    smooth = [layer for layer in fig.layers if type(layer.geom).__name__ == "geom_smooth"]
    assert len(smooth) == 1 and smooth[0].stat.params["method"] == "loess"
