"""Author Activity: author sources, top-10 ranking and ties, hand-worked tables, v1 fidelity,
forged inputs, figures on both boards."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import author_activity as view
from llmtrends.views import inputs

FT, CHAT, MERGE, PRE = schema.TYPE_FINETUNED, schema.TYPE_CHAT, schema.TYPE_MERGE, schema.TYPE_PRETRAINED

# 2024-01-01 is a Monday.
MODELS = [
    # repo_id, type, average, created_at, placeholder
    ("a/m1", FT, 50.0, "2024-01-01", False),     # commit authors alice + bob
    ("a/m2", CHAT, 60.0, "2024-01-03", False),   # alice; same week as m1
    ("b/m3", FT, 40.0, "2024-01-10", False),     # no commit data -> namespace "b"
    ("b/m4", MERGE, 70.0, "2024-01-15", False),  # no commit data -> "b"
    ("c/m5", PRE, 30.0, "2024-01-16", False),    # carol
    ("c/m6", PRE, 90.0, "2022-03-02", True),     # carol, but the Hub's placeholder date: not counted
    ("d/m8", FT, 20.0, "2024-01-20", False),     # Dave (capital D: ties are case-insensitive)
    ("z/m9", FT, 10.0, None, False),             # no date: never in a range
]
COMMITS = [
    ("a/m1", "alice"), ("a/m1", "bob"), ("a/m1", "alice"),  # a duplicate row counts once
    ("a/m2", "alice"),
    ("c/m5", "carol"), ("c/m6", "carol"),
    ("d/m8", "Dave"),
]


def snap_of(commits: list[tuple[str, str]] | None = COMMITS) -> store.Snapshot:
    models = pd.DataFrame(MODELS, columns=["repo_id", "type", "average", "created_at", "created_at_placeholder"])
    models["namespace"] = models["repo_id"].str.split("/").str[0]
    models["created_at"] = pd.to_datetime(models["created_at"])
    ca = None if commits is None else pd.DataFrame(commits, columns=["repo_id", "commit_author"])
    return store.Snapshot(board="v1", models=models, commit_authors=ca, manifest={})


# the board's first and last real dates (the date picker's limits)
JAN = (dt.date(2024, 1, 1), dt.date(2024, 1, 20))


# --------------------------------------------------------------------------- authors and ranking


def test_author_pairs_commit_authors_else_namespace():
    pairs = view.author_pairs(snap_of())
    got = sorted(map(tuple, pairs[["repo_id", "author"]].to_numpy().tolist()))
    assert got == [("a/m1", "alice"), ("a/m1", "bob"), ("a/m2", "alice"), ("b/m3", "b"), ("b/m4", "b"),
                   ("c/m5", "carol"), ("c/m6", "carol"), ("d/m8", "Dave"), ("z/m9", "z")]


def test_top_authors_count_desc_then_name_case_insensitive():
    snap = snap_of()
    # alice 2, b 2 (tie: a < b), then bob 1, carol 1, Dave 1 (case-insensitive: b < c < d;
    # an exact sort would put "Dave" first); carol's placeholder-dated m6 and z's undated m9 don't count
    assert view.top_authors(snap, *JAN) == ["alice", "b", "bob", "carol", "Dave"]
    assert view.top_authors(snap, *JAN, n=2) == ["alice", "b"]
    assert view.top_authors(snap, dt.date(2024, 1, 10), dt.date(2024, 1, 20)) == ["b", "carol", "Dave"]
    assert view.top_authors(snap, dt.date(2023, 1, 1), dt.date(2023, 12, 31)) == []


def test_top_authors_namespaces_without_commit_data():
    snap = snap_of(commits=None)
    # a 2 (m1, m2), b 2, c 1 (m5; m6 placeholder), d 1
    assert view.top_authors(snap, *JAN) == ["a", "b", "c", "d"]


def test_top_ten_cut():
    rows = [(f"u{i:02d}/m{j}", FT, 50.0, "2024-01-02", False) for i in range(12) for j in range(12 - i)]
    models = pd.DataFrame(rows, columns=["repo_id", "type", "average", "created_at", "created_at_placeholder"])
    models["namespace"] = models["repo_id"].str.split("/").str[0]
    models["created_at"] = pd.to_datetime(models["created_at"])
    snap = store.Snapshot(board="v2", models=models, commit_authors=None, manifest={})
    assert view.top_authors(snap, *JAN) == [f"u{i:02d}" for i in range(10)]
    assert view.top_authors(snap, *JAN, n=12) == [f"u{i:02d}" for i in range(12)]
    # parameters made outside the controls may name an author below the top ten: u11 has one model, ranked 12th
    tbl = view.table(snap, view.Params(*JAN, authors=("u00", "u11"), aggregation="month"))
    assert tbl.groupby("author")["models"].sum().to_dict() == {"u00": 12, "u11": 1}
    assert tbl.set_index("author")["author_rank"].to_dict() == {"u00": 1, "u11": 12}


def test_author_note_names_the_source():
    note = view.author_note(snap_of())
    assert "commit authors" in note and "bots excluded" in note
    assert "3 of 8 repositories have no commit data" in note  # b/m3, b/m4, z/m9
    assert "namespaces" in view.author_note(snap_of(commits=None))


def test_author_choices_follow_the_range():
    snap = snap_of()
    assert view.author_choices(snap, ("2024-01-10", "2024-01-20")) == ["b", "carol", "Dave"]
    assert view.author_choices(snap, None) == ["alice", "b", "bob", "carol", "Dave"]
    assert view.author_choices(snap, ("2024-01-20", "2024-01-01")) == []
    assert view.author_choices(snap, ("2024-13-45", "2024-01-01")) == []
    assert view.author_choices(snap, ("0001-01-01", "9999-12-31")) == []  # outside the picker's limits


# --------------------------------------------------------------------------- table


def rows_of(tbl: pd.DataFrame) -> list[tuple]:
    return [(r.author, r.author_rank, r.author_models, r.period.strftime("%m-%d"), r.type, r.models,
             round(r.type_average, 3), r.period_models, round(r.period_average, 3)) for r in tbl.itertuples()]


def test_weekly_table_by_hand():
    snap = snap_of()
    tbl = view.table(snap, view.Params(*JAN, authors=("alice", "b"), aggregation="week"))
    assert list(tbl.columns) == list(view.CSV_COLUMNS)
    assert rows_of(tbl) == [
        ("alice", 1, 2, "01-01", FT, 1, 50.0, 2, 55.0),
        ("alice", 1, 2, "01-01", CHAT, 1, 60.0, 2, 55.0),
        ("b", 2, 2, "01-08", FT, 1, 40.0, 1, 40.0),
        ("b", 2, 2, "01-15", MERGE, 1, 70.0, 1, 70.0),
    ]
    assert tbl.attrs["models_shown"] == 4


def test_monthly_table_and_rank_kept_for_a_subset():
    snap = snap_of()
    tbl = view.table(snap, view.Params(*JAN, authors=("b", "bob"), aggregation="month"))
    assert rows_of(tbl) == [
        ("b", 2, 2, "01-01", FT, 1, 40.0, 2, 55.0),
        ("b", 2, 2, "01-01", MERGE, 1, 70.0, 2, 55.0),
        ("bob", 3, 1, "01-01", FT, 1, 50.0, 1, 50.0),  # rank among the whole top list
    ]
    assert tbl.attrs["models_shown"] == 3  # m1 (bob), m3, m4


def test_model_with_two_authors_counts_for_each():
    snap = snap_of()
    tbl = view.table(snap, view.Params(*JAN, authors=("alice", "bob"), aggregation="week"))
    m1_rows = tbl.loc[(tbl["type"] == FT) & (tbl["period"] == pd.Timestamp("2024-01-01"))]
    assert sorted(m1_rows["author"]) == ["alice", "bob"]
    assert tbl.attrs["models_shown"] == 2  # m1 once, m2


def test_untyped_model_gets_its_own_label():
    snap = snap_of()
    snap.models.loc[snap.models["repo_id"] == "a/m2", "type"] = None
    tbl = view.table(snap, view.Params(*JAN, authors=("alice",), aggregation="week"))
    assert sorted(tbl["type"]) == sorted([FT, view.NO_TYPE])


# --------------------------------------------------------------------------- inputs


def test_from_inputs_defaults_and_selection():
    snap = snap_of()
    d = view.Params.from_inputs({}, snap)
    assert (d.start, d.end) == (dt.date(2024, 1, 1), dt.date(2024, 1, 20))  # placeholder date left out
    assert d.authors == ("alice", "b", "bob", "carol", "Dave") and d.aggregation == "week"
    p = view.Params.from_inputs({"dates": JAN, "authors": ["Dave", "alice"], "aggregation": "month"}, snap)
    assert p.authors == ("alice", "Dave")  # rank order
    assert p.aggregation == "month"


def test_stale_author_is_dropped_unknown_author_rejected():
    snap = snap_of()
    # Dave is an author of the board but not in the top list of Jan 10-31 ... kept only if in the top list
    p = view.Params.from_inputs({"dates": ("2024-01-10", "2024-01-20"), "authors": ["alice", "b"]}, snap)
    assert p.authors == ("b",)
    with pytest.raises(inputs.EmptySelection):
        view.Params.from_inputs({"dates": ("2024-01-01", "2024-01-05"), "authors": ["Dave"]}, snap)
    with pytest.raises(inputs.InvalidInput):
        view.Params.from_inputs({"authors": ["mallory"]}, snap)


@pytest.mark.parametrize("raw, error", [
    ({"authors": []}, inputs.EmptySelection),
    ({"dates": ("2024-01-20", "2024-01-01")}, inputs.EmptySelection),
    ({"dates": ("2024-01-04", "2024-01-09")}, inputs.EmptySelection),  # no model created in these days
    ({"dates": ("2023-01-01", "2023-02-01")}, inputs.InvalidInput),    # before the board's first date
    ({"dates": ("2024-01-01", "2024-01-21")}, inputs.InvalidInput),    # after its last date
    ({"dates": ("0001-01-01", "9999-12-31")}, inputs.InvalidInput),
    ({"dates": ("2024-13-45", "2024-01-31")}, inputs.InvalidInput),
    ({"dates": "2024-01-01"}, inputs.InvalidInput),
    ({"dates": (5, 6)}, inputs.InvalidInput),
    ({"aggregation": "year"}, inputs.InvalidInput),
    ({"aggregation": 7}, inputs.InvalidInput),
    ({"authors": 5}, inputs.InvalidInput),
    ({"authors": [["alice"]]}, inputs.InvalidInput),
    ({"authors": ["alice", "<script>"]}, inputs.InvalidInput),
])
def test_forged_or_empty_inputs(raw, error):
    with pytest.raises(error):
        view.Params.from_inputs(raw, snap_of())


def test_unknown_figure_rejected():
    snap = snap_of()
    p = view.Params.defaults(snap)
    with pytest.raises(inputs.InvalidInput):
        view.figure(view.table(snap, p), p, "pie")


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real(snapshot_dir):
    return {b: store.read_snapshot(snapshot_dir, b) for b in schema.BOARDS}


def test_fidelity_v1_study_defaults(real):
    """Whole range, top 10, weekly: recomputed from the method description with plain pandas."""
    snap = real["v1"]
    assert snap.commit_authors is not None and len(snap.commit_authors) > 1000
    m = snap.models
    m = m[m["created_at"].notna() & ~m["created_at_placeholder"].fillna(False).astype(bool)]
    # authors: every commit author of a repository, else its namespace
    authors_of: dict[str, set[str]] = {}
    for repo, author in zip(snap.commit_authors["repo_id"], snap.commit_authors["commit_author"]):
        authors_of.setdefault(repo, set()).add(author)
    long = [(repo, a) for repo, ns in zip(m["repo_id"], m["namespace"])
            for a in sorted(authors_of.get(repo, {ns}))]
    long = pd.DataFrame(long, columns=["repo_id", "author"]).merge(m[["repo_id", "type", "created_at", "average"]])
    count = long.groupby("author")["repo_id"].nunique()
    ranking = sorted(count.items(), key=lambda kv: (-kv[1], kv[0].lower(), kv[0]))[:10]
    top = [a for a, _ in ranking]

    params = view.Params.defaults(snap)
    assert params.aggregation == "week"
    assert list(params.authors) == top
    tbl = view.table(snap, params)

    sel = long[long["author"].isin(top)].copy()
    sel["type"] = sel["type"].fillna(view.NO_TYPE)
    sel["period"] = sel["created_at"].dt.to_period("W-SUN").dt.start_time  # Monday-start weeks
    expect = (sel.groupby(["author", "period", "type"])["average"].agg(["size", "mean"]))
    got = tbl.set_index(["author", "period", "type"])[["models", "type_average"]]
    assert len(got) == len(expect)
    joined = got.join(expect, how="inner")
    assert len(joined) == len(expect)
    assert (joined["models"] == joined["size"]).all()
    assert (joined["type_average"] - joined["mean"]).abs().max() < 1e-9
    per_period = sel.groupby(["author", "period"])["average"].mean()
    pp = tbl.drop_duplicates(["author", "period"]).set_index(["author", "period"])["period_average"]
    assert ((pp - per_period.reindex(pp.index)).abs() < 1e-9).all() and len(pp) == len(per_period)
    assert dict(zip(tbl["author"], tbl["author_models"])) == dict(ranking)
    assert tbl.attrs["models_shown"] == sel["repo_id"].nunique()


def test_v2_uses_namespaces(real):
    """v2 has no commit data: the top 10 are namespaces (from repo_id), ranked by hand."""
    snap = real["v2"]
    assert not view.has_commit_data(snap)
    m = snap.models
    m = m[m["created_at"].notna() & ~m["created_at_placeholder"].fillna(False).astype(bool)]
    counts = m.groupby(m["repo_id"].str.split("/").str[0])["repo_id"].nunique()
    want = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower(), kv[0]))[:10]
    first, last = m["created_at"].min().date(), m["created_at"].max().date()
    assert view.top_authors(snap, first, last) == [a for a, _ in want]


@pytest.mark.parametrize("board", schema.BOARDS)
@pytest.mark.parametrize("which", view.FIGURES)
def test_figures_render_and_change(real, board, which):
    snap = real[board]
    d = view.Params.defaults(snap)
    other = view.Params(start=d.start, end=d.end, authors=d.authors[:3], aggregation="month")
    pngs = [render.figure_bytes(view.figure(view.table(snap, p), p, which)) for p in (d, other)]
    for png in pngs:
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert pngs[0] != pngs[1]
