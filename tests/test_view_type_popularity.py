"""Model Type Popularity: hand-worked tables, a fidelity check on v1, forged inputs, figures."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import inputs
from llmtrends.views import type_popularity as view

FT, CHAT, MERGE = schema.TYPE_FINETUNED, schema.TYPE_CHAT, schema.TYPE_MERGE


def snap_of(rows: list[tuple[str, str, str | None]], placeholder: set[str] = frozenset()) -> store.Snapshot:
    """A snapshot from (repo_id, type, created date) rows."""
    models = pd.DataFrame(rows, columns=["repo_id", "type", "created_at"])
    models["created_at"] = pd.to_datetime(models["created_at"])
    models["created_at_placeholder"] = models["repo_id"].isin(placeholder)
    models["average"] = 50.0
    return store.Snapshot(board="v1", models=models, commit_authors=None, manifest={})


# 2024-01-01 is a Monday.
ROWS = [
    ("a/1", FT, "2024-01-01"),    # week of Jan 1
    ("a/2", FT, "2024-01-03"),    # week of Jan 1
    ("a/3", CHAT, "2024-01-07"),  # Sunday: still week of Jan 1
    ("a/4", CHAT, "2024-01-08"),  # week of Jan 8
    ("a/5", MERGE, "2024-01-20"),  # week of Jan 15
    ("a/6", FT, "2024-02-02"),    # week of Jan 29; February for months
    ("a/7", None, "2024-01-02"),  # no type: in no series
    ("a/8", FT, None),            # no date: not counted
]


def test_weekly_counts_and_shares_by_hand():
    snap = snap_of(ROWS)
    params = view.Params(start=dt.date(2024, 1, 1), end=dt.date(2024, 2, 4), types=(FT, CHAT, MERGE),
                         aggregation="week")
    tbl = view.table(snap, params)
    # 5 weeks (Jan 1, 8, 15, 22, 29) x 3 types, zero-filled
    assert len(tbl) == 15
    got = {(r.period.strftime("%m-%d"), r.type): (r.new_models, r.period_total, round(r.share, 4))
           for r in tbl.itertuples()}
    assert got[("01-01", FT)] == (2, 3, 0.6667)
    assert got[("01-01", CHAT)] == (1, 3, 0.3333)
    assert got[("01-01", MERGE)] == (0, 3, 0.0)
    assert got[("01-08", CHAT)] == (1, 1, 1.0)
    assert got[("01-15", MERGE)] == (1, 1, 1.0)
    assert got[("01-22", FT)] == (0, 0, 0.0)
    assert got[("01-29", FT)] == (1, 1, 1.0)
    assert tbl.attrs["models_shown"] == 6
    assert list(tbl.columns) == list(view.CSV_COLUMNS)


def test_monthly_and_type_filter_by_hand():
    snap = snap_of(ROWS)
    params = view.Params(start=dt.date(2024, 1, 1), end=dt.date(2024, 2, 29), types=(FT,),
                         aggregation="month")
    tbl = view.table(snap, params)
    assert [(r.period.strftime("%Y-%m"), r.new_models, r.share) for r in tbl.itertuples()] == [
        ("2024-01", 2, 1.0), ("2024-02", 1, 1.0)]


def test_daily_range_edges_are_inclusive():
    snap = snap_of(ROWS)
    params = view.Params(start=dt.date(2024, 1, 3), end=dt.date(2024, 1, 8), types=(FT, CHAT),
                         aggregation="day")
    tbl = view.table(snap, params)
    counts = tbl.groupby("period")["new_models"].sum()
    assert counts[pd.Timestamp("2024-01-03")] == 1
    assert counts[pd.Timestamp("2024-01-07")] == 1
    assert counts[pd.Timestamp("2024-01-08")] == 1
    assert counts.sum() == 3 and len(counts) == 6  # Jan 3..8


def test_placeholder_dates_are_not_counted():
    snap = snap_of(ROWS + [("old/x", FT, "2022-03-02")], placeholder={"old/x"})
    params = view.Params(start=dt.date(2022, 3, 1), end=dt.date(2022, 3, 31), types=(FT,), aggregation="day")
    with pytest.raises(inputs.EmptySelection):
        view.table(snap, params)


def test_empty_selections_give_friendly_messages():
    snap = snap_of(ROWS)
    with pytest.raises(inputs.EmptySelection, match="Tick at least one"):
        view.Params.from_inputs({"dates": ("2024-01-01", "2024-02-01"), "types": [], "aggregation": "week"}, snap)
    with pytest.raises(inputs.EmptySelection, match="before the start"):
        view.Params.from_inputs({"dates": ("2024-02-01", "2024-01-01"), "types": [FT], "aggregation": "week"}, snap)
    params = view.Params(start=dt.date(2023, 1, 1), end=dt.date(2023, 2, 1), types=(FT,))
    with pytest.raises(inputs.EmptySelection, match="No models"):
        view.table(snap, params)


@pytest.mark.parametrize("raw, needle", [
    ({"types": ["not a type"]}, "unknown value"),
    ({"dates": ("2024-13-45", "2024-02-01")}, "not a date"),
    ({"aggregation": "year"}, "not one of"),
    ({"aggregation": ["week"]}, "not one of"),
    ({"types": 7}, "expected a list"),
    ({"dates": "2024-01-01"}, "start and an end"),
    ({"dates": ("0001-01-01", "9999-12-31")}, "outside the board's dates"),
    ({"dates": ("2023-12-31", "2024-01-10")}, "outside the board's dates"),
])
def test_forged_inputs_are_rejected(raw, needle):
    snap = snap_of(ROWS)
    with pytest.raises(inputs.InvalidInput, match=needle):
        view.Params.from_inputs(raw, snap)


def test_defaults_cover_the_board():
    snap = snap_of(ROWS)
    d = view.Params.defaults(snap)
    assert (d.start, d.end) == (dt.date(2024, 1, 1), dt.date(2024, 2, 2))
    assert d.types == (FT, CHAT, MERGE) and d.aggregation == "week"


def test_fidelity_on_v1_weekly_counts(snapshot_dir, shared_data):
    """Study defaults on v1 against an independent count from the raw study files."""
    snap = store.read_snapshot(snapshot_dir, "v1")
    params = view.Params.defaults(snap)
    tbl = view.table(snap, params)

    # Independent: raw leaderboard -> unflagged (inverted flag), best row per lower-cased
    # repo; creation dates from the study's hub records (last record per name, stale
    # copies -- foreign author with a payload shared by another name -- dropped).
    raw = pd.read_csv(shared_data / "open-llm-leaderboard-v1" / "leaderboard.csv", sep=";")
    raw = raw[raw["Flagged"].astype(str) == "True"]  # inverted: True means not flagged
    raw = raw.assign(key=raw["fullname"].str.lower()).sort_values("Average ⬆️", ascending=False)
    raw = raw.drop_duplicates("key")
    raw["type"] = raw["Type"].str.split(" ", n=1).str[1]
    hub = pd.read_csv(shared_data / "open-llm-leaderboard-v1" / "hub_models.csv")
    # (a foreign record whose payload is shared with author/<model part>'s own record is a
    # Hub redirect, not a copy)
    payload = hub[["author", "created_at", "last_modified", "downloads", "tags"]].astype(str).agg("|".join, axis=1)
    lower = hub["name"].str.lower()
    names_of = {p: set(g) for p, g in lower.groupby(payload)}
    shared_payload = payload.map(lambda p: len(names_of[p]) > 1)
    foreign = hub["name"].str.split("/").str[0].str.lower() != hub["author"].str.lower()
    target = (hub["author"] + "/" + hub["name"].str.split("/").str[-1]).str.lower()
    redirect = pd.Series([t in names_of[p] for t, p in zip(target, payload)], index=hub.index)
    hub = hub[~(shared_payload & foreign & ~redirect)].assign(key=lambda h: h["name"].str.lower())
    hub = hub.drop_duplicates("key", keep="last")
    merged = raw.merge(hub[["key", "created_at"]], on="key", how="inner")
    created = pd.to_datetime(merged["created_at"], utc=True).dt.tz_convert(None)
    merged = merged[(created.dt.strftime("%Y-%m-%d") != "2022-03-02") & merged["type"].notna()]
    created = pd.to_datetime(merged["created_at"], utc=True).dt.tz_convert(None).dt.normalize()
    week = created - pd.to_timedelta(created.dt.day_of_week, unit="D")
    expected = pd.DataFrame({"period": week, "type": merged["type"]}).value_counts()

    got = tbl[tbl["new_models"] > 0].set_index(["period", "type"])["new_models"]
    assert got.sum() == expected.sum()
    assert got.sort_index().to_dict() == {k: int(v) for k, v in expected.sort_index().items()}


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_figures_render_and_follow_parameters(snapshot_dir, board):
    snap = store.read_snapshot(snapshot_dir, board)
    d = view.Params.defaults(snap)
    other = view.Params(start=d.start, end=d.end, types=d.types[:2], aggregation="month")
    for which in view.FIGURES:
        a = render.figure_bytes(view.figure(view.table(snap, d), d, which), "png")
        b = render.figure_bytes(view.figure(view.table(snap, other), other, which), "png")
        assert a[:8] == b"\x89PNG\r\n\x1a\n" and b[:8] == b"\x89PNG\r\n\x1a\n"
        assert a != b


def test_a_single_period_draws_its_share_bar():
    # one day (Jan 3, a/2), aggregated by week: one period, partial; the shares are bars (not
    # areas between periods), so its one bar is drawn, faded, like its count
    snap = snap_of(ROWS)
    day = view.Params(start=dt.date(2024, 1, 3), end=dt.date(2024, 1, 3), types=(FT, CHAT))
    tbl = view.table(snap, day)
    assert tbl["period"].nunique() == 1 and tbl["new_models"].sum() == 1
    # by hand: the one model of that day is a/2, so its type has the whole share
    row = tbl.loc[tbl["new_models"] == 1].iloc[0]
    assert row["share"] == 1.0 and bool(row["partial"])
    for which in ("counts", "shares"):
        assert render.figure_bytes(view.figure(tbl, day, which), "png")[:4] == b"\x89PNG"
    assert not hasattr(view, "empty_figure")  # nothing of this view is ever left undrawn


