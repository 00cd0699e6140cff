"""Per-model tables prepared once per board (``views.periods.Presorted``): picking rows from
the presorted table gives what filtering the board and sorting the selection gives, the
group counts equal pandas' own, and a caller changing a table it got changes nothing shared."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.views import periods, selection
from llmtrends.views import co2, moe, params_score, score_trends


def random_board(n: int, seed: int) -> pd.DataFrame:
    """Rows with ties in every sort key, repeated repo ids, missing and placeholder dates."""
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D") \
        + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s")
    board = pd.DataFrame({
        "repo_id": [f"org{rng.integers(0, 5)}/m{rng.integers(0, n // 2)}" for _ in range(n)],
        "created_at": days,
        "params_b": rng.choice([1.0, 7.0, 7.0, 13.0, 70.0], n),
        "group": rng.integers(0, 3, n),
        "type": rng.choice(["a", "b", "c"], n),
    }, index=rng.permutation(n) * 3)  # a board's index need not be 0..n-1
    board.loc[board.index[rng.random(n) < 0.05], "created_at"] = pd.NaT
    board["created_at_placeholder"] = rng.random(n) < 0.05
    return board


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_picking_presorted_rows_equals_filtering_then_sorting(seed):
    board = random_board(400, seed)
    rows = board[["repo_id", "params_b", "type"]].reset_index(drop=True)
    pre = periods.presort(rows, {"day": selection.real_days(board), "type": pd.Categorical(board["type"])},
                     board["group"], board["params_b"], board["repo_id"].rank(method="dense"))
    rng = np.random.default_rng(seed + 10)
    for _ in range(20):
        a, b = sorted(rng.integers(0, 60, 2))
        start, end = dt.date(2024, 1, 1) + dt.timedelta(int(a)), dt.date(2024, 1, 1) + dt.timedelta(int(b))
        types = [t for t in "abc" if rng.random() < 0.6] or ["a"]
        got = pre.pick(pre.in_days(start, end) & pre.is_in("type", types))
        # the plain way: the board's rows with a real date in the range and of the types,
        # then a stable sort on the same keys
        day = board["created_at"].dt.normalize()
        sel = board.loc[board["created_at"].notna() & ~board["created_at_placeholder"]
                        & (day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end)) & board["type"].isin(types)]
        want = sel.sort_values(["group", "params_b", "repo_id"], kind="stable")[["repo_id", "params_b", "type"]]
        pd.testing.assert_frame_equal(got, want.reset_index(drop=True))


def test_undated_and_placeholder_rows_are_never_in_a_range():
    board = random_board(200, 5)
    pre = periods.presort(board[["repo_id"]].reset_index(drop=True), {"day": selection.real_days(board)}, board["params_b"])
    kept = pre.in_days(dt.date(2000, 1, 1), dt.date(2100, 1, 1)).sum()
    assert kept == int((board["created_at"].notna() & ~board["created_at_placeholder"]).sum())


def test_group_sizes_equal_pandas_groupby_size():
    codes = np.array([3, 0, 3, 1, 3, 0, 7])
    assert periods.group_sizes(codes).tolist() == [3, 2, 3, 1, 3, 2, 1]
    want = pd.Series(codes).groupby(codes).transform("size").tolist()
    assert periods.group_sizes(codes).tolist() == want
    assert periods.group_sizes(np.array([], dtype=int)).tolist() == []


@pytest.mark.parametrize("view", [moe, params_score, score_trends, co2])
def test_changing_a_table_changes_nothing_shared(snapshot_dir, view):
    snap = store.read_snapshot(snapshot_dir, "v2")
    params = view.Params.defaults(snap)
    first = view.table(snap, params)
    kept = first.copy()
    numeric = [c for c in first.columns if pd.api.types.is_float_dtype(first[c])][0]
    first[numeric] = -1.0
    first.loc[0, "repo_id"] = "changed/by-a-caller"
    first["extra"] = 1
    again = view.table(snap, params)
    pd.testing.assert_frame_equal(again, kept)


def test_size_and_day_filters_of_moe_match_a_plain_selection(snapshot_dir):
    """MoE on real v2 over a month, MoE by the leaderboard's flag: the rows are the board's
    dated models of that month with a score, an MoE flag and parameters, in the documented
    order (checked independently)."""
    snap = store.read_snapshot(snapshot_dir, "v2")
    start, end = dt.date(2024, 6, 1), dt.date(2024, 6, 30)
    tbl = moe.table(snap, moe.Params(start=start, end=end, sizes=("Small", "Large"), rule="flag"))
    m = snap.models
    day = m["created_at"].dt.normalize()
    sel = m.loc[m["created_at"].notna() & ~m["created_at_placeholder"].fillna(False).astype(bool)
                & (day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end)) & m["average"].notna()
                & m["moe"].notna() & (m["params_b"] > 0) & m["size_class"].isin(["Small", "Large"])]
    want = sel.assign(g=~sel["moe"].astype(bool), s=sel["size_class"].map({s: i for i, s in enumerate(schema.SIZE_CLASSES)}))
    want = want.sort_values(["g", "s", "params_b", "repo_id"], kind="stable")
    assert len(tbl) == len(want) > 0
    assert tbl["repo_id"].tolist() == want["repo_id"].tolist()


def test_range_mask_keeps_whole_days_at_both_ends():
    # worked out by hand for [2024-01-02, 2024-01-03]: the first instant of the start day and
    # the last of the end day are in; a nanosecond before or at the next midnight, out
    times = pd.to_datetime(["2024-01-01 23:59:59.999999999", "2024-01-02 00:00:00", "2024-01-03 12:00:00",
                            "2024-01-03 23:59:59.999999999", "2024-01-04 00:00:00", None], format="ISO8601")
    board = pd.DataFrame({"created_at": times, "created_at_placeholder": [False, False, True, False, False, False]})
    got = selection.range_mask(board, dt.date(2024, 1, 2), dt.date(2024, 1, 3))
    assert got.tolist() == [False, True, False, True, False, False]  # the placeholder date is out too
    assert selection.range_mask(board, dt.date(2024, 1, 4), dt.date(2024, 1, 4)).tolist() == [False] * 4 + [True, False]


@pytest.mark.parametrize("seed", [0, 1])
def test_range_mask_equals_comparing_days(seed):
    board = random_board(500, seed)
    day = board["created_at"].dt.normalize()  # the plain way: each time rounded to its day
    rng = np.random.default_rng(seed)
    for _ in range(30):
        a, b = sorted(rng.integers(-5, 65, 2))
        start, end = dt.date(2024, 1, 1) + dt.timedelta(int(a)), dt.date(2024, 1, 1) + dt.timedelta(int(b))
        want = (board["created_at"].notna() & ~board["created_at_placeholder"]
                & (day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end)))
        assert selection.range_mask(board, start, end).tolist() == want.tolist()


def test_present_families_are_counted_once_per_board_and_never_shared_mutably():
    board = pd.DataFrame({"architecture_family": ["b", schema.FAMILY_OTHER, "a", "b", schema.FAMILY_OTHER,
                                                  schema.FAMILY_OTHER, "b", "a", "c"]})
    first = selection.present_families(board)
    assert first == ["b", "a", "c", schema.FAMILY_OTHER]  # by count (3, 2, 1), Other last though it has 3
    first.append("changed by a caller")
    assert selection.present_families(board) == ["b", "a", "c", schema.FAMILY_OTHER]


def _plain_period(t: pd.Timestamp, aggregation: str) -> dt.date:
    day = t.date()
    if aggregation == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1) if aggregation == "month" else day


@pytest.mark.parametrize("aggregation", ["day", "week", "month"])
def test_period_counts_equal_counting_each_model_by_hand(aggregation):
    # dates before, inside and after the range, missing ones, groups outside the levels
    rng = np.random.default_rng(len(aggregation))
    n = 600
    times = pd.Timestamp("2023-12-01") + pd.to_timedelta(rng.integers(0, 120 * 86_400, n), unit="s")
    dates = pd.Series(times).where(rng.random(n) > 0.05)
    groups = pd.Series(rng.choice(["a", "b", "c", "z"], n)).where(rng.random(n) > 0.03)
    levels, start, end = ["c", "a", "b"], dt.date(2024, 1, 10), dt.date(2024, 3, 20)
    got = periods.period_counts(dates, groups, levels, start, end, aggregation, "g")
    first, last = _plain_period(pd.Timestamp(start), aggregation), _plain_period(pd.Timestamp(end), aggregation)
    expected_starts = sorted({_plain_period(pd.Timestamp(start) + pd.Timedelta(days=k), aggregation)
                      for k in range((end - start).days + 1)})
    assert expected_starts[0] == first and expected_starts[-1] == last
    want = []
    for p in expected_starts:
        for lvl in levels:
            n_here = sum(1 for t, g in zip(dates, groups)
                         if pd.notna(t) and g == lvl and _plain_period(t, aggregation) == p)
            want.append((pd.Timestamp(p), lvl, n_here))
    assert list(zip(got["period"], got["g"], got["new_models"])) == want
    assert got["new_models"].dtype == np.int64
