"""Model Explorer: each filter alone and combined on a hand-made board, the score boundary,
dates with the Hub's placeholder, licenses (top + rest), the grid frame and its links, the
selection, forged inputs, and a second computation of the filters on real data (plain pandas)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.views import inputs, provenance
from llmtrends.views import explorer as view

FT, CHAT, PRE = schema.TYPE_FINETUNED, schema.TYPE_CHAT, schema.TYPE_PRETRAINED
REST = view.LICENSE_REST

# repo_id, type, size_class, params_b, average, license, moe, official, created_at, placeholder
ROWS = [
    ("a/1", FT, "Small", 7.0, 50.0, "mit", False, True, "2024-01-10", False),
    ("a/2", CHAT, "Medium", 13.0, 60.0, "apache-2.0", True, False, "2024-02-15", False),
    ("b/3", PRE, "Large", 70.0, 40.0, "apache-2.0", False, None, "2024-03-20 17:30", False),  # no flag
    ("b/4", FT, None, np.nan, 55.5, "?", False, False, None, False),                 # no date, size unknown
    ("c/5", CHAT, "Small", 3.0, 30.0, None, True, False, "2022-03-02", True),        # placeholder date
    ("c/6", FT, "Small", 1.0, np.nan, "mit", False, False, "2024-01-31", False),     # no average
    ("d/7", PRE, "Medium", 20.0, 55.5, "llama2", False, True, "2024-02-29", False),
]
ALL = [r[0] for r in ROWS]


def snap_of(rows=ROWS, board="v2", namespaces=None) -> store.Snapshot:
    m = pd.DataFrame(rows, columns=["repo_id", "type", "size_class", "params_b", "average", "license", "moe",
                                    "official", "created_at", "created_at_placeholder"])
    m["namespace"] = m["repo_id"].str.split("/").str[0]
    m["moe"] = m["moe"].astype("boolean")
    m["official"] = m["official"].astype("boolean")
    m["created_at"] = pd.to_datetime(m["created_at"], format="mixed")
    m["created_at_placeholder"] = m["created_at_placeholder"].astype("boolean")
    m["architecture_family"] = "LLama"
    m["likes"] = np.arange(len(m), dtype=float)
    m["co2_kg"] = np.nan
    for i, b in enumerate(schema.benchmark_columns(board)):
        m[b] = m["average"] + i
    return store.Snapshot(board=board, models=m, commit_authors=None, manifest={})


def params(**kw) -> view.Params:
    base = dict(start=dt.date(2024, 1, 10), end=dt.date(2024, 3, 20), types=(FT, CHAT, PRE),
                sizes=(*schema.SIZE_CLASSES, view.SIZE_UNKNOWN), licenses=("apache-2.0", "mit", "llama2", REST),
                moe="all", official="all", undated=True, min_score=0.0)
    base.update(kw)
    return view.Params(**base)


def ids(p: view.Params, snap=None) -> list[str]:
    return view.filter_models(snap or snap_of(), p)["repo_id"].tolist()


def test_defaults_by_hand():
    d = view.Params.defaults(snap_of())
    assert (d.start, d.end) == (dt.date(2024, 1, 10), dt.date(2024, 3, 20))  # placeholder left out
    assert d.types == (FT, CHAT, PRE)
    assert d.sizes == ("Small", "Medium", "Large", "Unknown")
    # counts: apache-2.0 2, mit 2, llama2 1 ("?" and missing say nothing) -> ties by name
    assert d.licenses == ("apache-2.0", "mit", "llama2", REST)
    assert (d.moe, d.official, d.undated, d.min_score) == ("all", "all", True, 0.0)
    assert ids(d) == ALL


def test_license_choices_keep_the_top_ones(monkeypatch):
    assert view.license_choices(snap_of().models, top=2) == ["apache-2.0", "mit", REST]
    monkeypatch.setattr(view, "TOP_LICENSES", 2)
    assert view.Params.defaults(snap_of()).licenses == ("apache-2.0", "mit", REST)
    # with two listed by name, llama2 falls into the rest with "?" and the missing one
    assert ids(params(licenses=(REST,))) == ["b/4", "c/5", "d/7"]


def test_models_without_a_type():
    rows = [*ROWS, ("e/8", None, "Small", 7.0, 45.0, "mit", False, False, "2024-01-12", False)]
    snap = snap_of(rows)
    assert view.Params.defaults(snap).types == (FT, CHAT, PRE, view.TYPE_UNKNOWN)
    assert view.Params.defaults(snap_of()).types == (FT, CHAT, PRE)  # only when some are missing
    assert ids(params(types=(view.TYPE_UNKNOWN,)), snap) == ["e/8"]
    assert ids(params(types=(FT, CHAT, PRE)), snap) == ALL


def test_each_filter_alone():
    assert ids(params(types=(FT,))) == ["a/1", "b/4", "c/6"]
    assert ids(params(types=(CHAT, PRE))) == ["a/2", "b/3", "c/5", "d/7"]
    assert ids(params(sizes=("Small",))) == ["a/1", "c/5", "c/6"]
    assert ids(params(sizes=("Unknown",))) == ["b/4"]
    assert ids(params(sizes=("Medium", "Large"))) == ["a/2", "b/3", "d/7"]
    assert ids(params(licenses=("mit",))) == ["a/1", "c/6"]
    assert ids(params(licenses=(REST,))) == ["b/4", "c/5"]  # "?" and missing
    assert ids(params(moe="moe")) == ["a/2", "c/5"]
    assert ids(params(moe="dense")) == ["a/1", "b/3", "b/4", "c/6", "d/7"]
    # b/3 has no board flag and its namespace is not a listed provider: community
    assert ids(params(official="official")) == ["a/1", "d/7"]
    assert ids(params(official="community")) == ["a/2", "b/3", "b/4", "c/5", "c/6"]
    assert ids(params(min_score=55.5)) == ["a/2", "b/4", "d/7"]  # inclusive boundary
    assert ids(params(min_score=55.6)) == ["a/2"]
    assert ids(params(min_score=0.0)) == ALL  # no average passes only at 0
    assert ids(params(min_score=0.5)) == ["a/1", "a/2", "b/3", "b/4", "c/5", "d/7"]


def test_date_range_and_undated():
    # whole days, both ends inclusive; 17:30 on the end day counts
    assert ids(params(start=dt.date(2024, 1, 31), end=dt.date(2024, 2, 29), undated=False)) == ["a/2", "c/6", "d/7"]
    assert ids(params(start=dt.date(2024, 3, 20), end=dt.date(2024, 3, 20), undated=False)) == ["b/3"]
    assert ids(params(start=dt.date(2024, 1, 11), end=dt.date(2024, 1, 30), undated=False)) == []
    # no date and the 2022-03-02 placeholder are undated: kept only when asked, whatever the range
    assert ids(params(undated=False)) == ["a/1", "a/2", "b/3", "c/6", "d/7"]
    assert ids(params(start=dt.date(2024, 1, 11), end=dt.date(2024, 1, 30))) == ["b/4", "c/5"]
    assert ids(params(start=dt.date(2022, 3, 2), end=dt.date(2022, 3, 2), undated=False)) == []


def test_filters_combined():
    p = params(types=(FT, CHAT), sizes=("Small", "Medium", "Unknown"), licenses=("mit", "apache-2.0", REST),
               moe="dense", official="community", min_score=30.0)
    # FT/CHAT: a/1 a/2 b/4 c/5 c/6; dense: a/1 b/4 c/6; community: b/4 c/6; score >= 30: b/4
    assert ids(p) == ["b/4"]
    assert ids(params(types=(CHAT,), moe="moe", undated=False)) == ["a/2"]
    assert ids(params(official="official", min_score=55.5, start=dt.date(2024, 2, 1))) == ["d/7"]


def test_table_columns_values_and_empty():
    snap = snap_of()
    tbl = view.table(snap, params(types=(PRE,)))
    assert list(tbl.columns) == view.csv_columns("v2")
    assert set(view.csv_columns("v2")) <= set(view.CSV_COLUMNS)
    assert tbl["repo_id"].tolist() == ["b/3", "d/7"]
    assert tbl["url"].tolist() == ["https://huggingface.co/b/3", "https://huggingface.co/d/7"]
    assert tbl["created_at"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-20", "2024-02-29"]
    assert tbl["official"].tolist() == [False, True]
    assert tbl["ifeval"].tolist() == [40.0, 55.5] and tbl["mmlu_pro"].tolist() == [45.0, 60.5]
    assert tbl.attrs["models_shown"] == 2
    undated = view.table(snap, params(types=(FT,), licenses=(REST,)))
    assert undated["repo_id"].tolist() == ["b/4"] and undated["created_at"].isna().all()
    placeholder = view.table(snap, params(types=(CHAT,), moe="moe", licenses=(REST,)))
    assert placeholder["repo_id"].tolist() == ["c/5"] and placeholder["created_at"].isna().all()
    with pytest.raises(inputs.EmptySelection, match="No model matches"):
        view.table(snap, params(min_score=99.0))


def test_grid_frame_and_links_are_escaped():
    rows = [("x/<b>bad</b>&\"q", FT, "Small", 7.0, 50.0, "mit", False, True, "2024-01-10", False),
            *ROWS[:2]]
    snap = snap_of(rows)
    tbl = view.table(snap, params())
    grid = view.grid_frame(tbl, "v2")
    assert list(grid.columns) == view.grid_columns("v2")
    assert grid.columns[7:13].tolist() == ["IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO"]
    assert grid["Model"].tolist() == ["x/<b>bad</b>&\"q", "a/1", "a/2"]
    link = grid["Hub"].iloc[0]
    assert "<b>" not in link and "&lt;" not in link  # the id only appears quoted in the URL
    assert link == ('<a href="https://huggingface.co/x/%3Cb%3Ebad%3C/b%3E%26%22q" target="_blank" '
                    'rel="noopener noreferrer">Hub ↗</a>')
    assert grid["Hub"].iloc[1] == '<a href="https://huggingface.co/a/1" target="_blank" rel="noopener noreferrer">Hub ↗</a>'
    assert grid["MoE"].tolist() == ["no", "no", "yes"] and grid["Official"].tolist() == ["yes", "yes", "no"]
    assert grid["Created"].tolist() == ["2024-01-10", "2024-01-10", "2024-02-15"]
    wrapped = view.grid_frame(tbl, "v2", link=lambda h: ("wrapped", h))
    assert wrapped["Hub"].iloc[1] == ("wrapped", grid["Hub"].iloc[1])


def test_missing_flags_show_as_no_and_scores_compare_as_shown():
    # e/8: MoE unknown (shown "no", counted dense); f/9 averages 54.996 (shown 55.0), g/10 54.994 (54.99)
    rows = [*ROWS[:2], ("e/8", FT, "Small", 7.0, 54.996, "mit", None, False, "2024-01-12", False),
            ("g/10", FT, "Small", 7.0, 54.994, "mit", False, False, "2024-01-12", False)]
    snap = snap_of(rows)
    grid = view.grid_frame(view.table(snap, params()), "v2")
    assert grid["MoE"].tolist() == ["no", "yes", "no", "no"]
    assert grid["Average"].tolist() == [50.0, 60.0, 55.0, 54.99]
    assert ids(params(moe="dense"), snap) == ["a/1", "e/8", "g/10"]
    assert ids(params(min_score=55.0), snap) == ["a/2", "e/8"]  # 54.996 passes as 55.00


def test_grid_filters_by_hand():
    d = params()
    # v2 grid: Average is column 6, MoE 14, Official 15 (same places on v1)
    assert [view.grid_columns(b).index(c) for b in ("v1", "v2") for c in ("Average", "MoE", "Official")] == \
        [6, 14, 15, 6, 14, 15]
    assert view.grid_filters(d, "v2") == []
    assert view.grid_filters(params(moe="moe", official="community", min_score=50.0), "v2") == [
        {"col": 6, "value": [50.0, None]}, {"col": 14, "value": "yes"}, {"col": 15, "value": "no"}]
    assert view.grid_filters(params(moe="dense", official="official"), "v1") == [
        {"col": 14, "value": "no"}, {"col": 15, "value": "yes"}]
    # the user's filters: other columns kept, the Average maximum kept, its minimum and the
    # MoE / Official boxes follow the sidebar
    user = [{"col": 0, "value": "llama"}, {"col": 6, "value": [10, 60]}, {"col": 14, "value": "no"},
            {"col": 13, "value": "mit"}]
    assert view.grid_filters(d, "v2", user) == [
        {"col": 0, "value": "llama"}, {"col": 6, "value": [None, 60]}, {"col": 13, "value": "mit"}]
    assert view.grid_filters(params(min_score=40.0, official="official"), "v2", user) == [
        {"col": 0, "value": "llama"}, {"col": 6, "value": [40.0, 60]}, {"col": 13, "value": "mit"},
        {"col": 15, "value": "yes"}]
    # forged entries are dropped
    forged = [{"col": 99, "value": "x"}, {"col": "0", "value": "x"}, {"col": True, "value": "x"}, "junk",
              {"col": 6, "value": "60"}, {"col": 7, "value": [None, None]}, {"col": 8, "value": 5},
              {"col": 9, "value": [1, "2"]}, {"col": 10, "value": [float("nan"), 3]}, {"col": 11}]
    assert view.grid_filters(d, "v2", forged) == []


def test_same_filters():
    a = [{"col": 6, "value": [50, None]}, {"col": 14, "value": "yes"}]
    assert view.same_filters(a, [{"col": 14, "value": "yes"}, {"col": 6, "value": (50.0, None)}])
    assert not view.same_filters(a, [{"col": 6, "value": [50, None]}, {"col": 14, "value": "no"}])
    assert not view.same_filters(a, a[:1])
    assert view.same_filters([], [])
    assert not view.same_filters([{"col": 6, "value": ["x", None]}], [{"col": 6, "value": ["x", None]}])


def _grid_side(view_: view.GridView, p: view.Params, board: str) -> list[str]:
    """The models the grid shows: its rows with its column filters applied, in plain Python."""
    cols = view.grid_columns(board)
    out = []
    for row in view_.rows:
        ok = True
        for f in view.grid_filters(p, board):
            v = row[f["col"]]
            if isinstance(f["value"], list):
                lo, hi = f["value"]
                ok &= v is not None and (lo is None or v >= lo) and (hi is None or v <= hi)
            else:
                ok &= f["value"].lower() in str(v).lower()
        if ok:
            out.append(row[cols.index("Model")])
    return out


def test_grid_view_holds_the_server_filters_rows():
    snap = snap_of()
    p = params(moe="moe", min_score=55.6, sizes=("Small", "Medium"))
    g = view.grid_view(snap, p)
    # MoE and the minimum score are left to the grid: Small/Medium are a/1 a/2 c/5 c/6 d/7,
    # shown best average first (a/2 60, d/7 55.5, a/1 50, c/5 30), c/6 (no average) last
    assert g.frame["Model"].tolist() == ["a/2", "d/7", "a/1", "c/5", "c/6"]
    board_order = view.table(snap, params(sizes=("Small", "Medium")))
    expect = view.grid_frame(board_order.set_index("repo_id", drop=False).loc[g.frame["Model"]].reset_index(drop=True),
                             "v2")
    pd.testing.assert_frame_equal(g.frame, expect)
    assert g.rows[4][:7] == ["c/6", expect["Hub"].iloc[4], FT, "LLama", "Small", 1.0, None]  # no average: None
    assert g.rows[2][13:] == ["mit", "no", "yes", "2024-01-10", 0.0, None]
    # the grid's filters then leave the CSV's rows: a/2 (MoE, 60)
    assert _grid_side(g, p, "v2") == ["a/2"] == view.table(snap, p)["repo_id"].tolist()
    assert g.repo_ids([4, 0, 9]) == ("a/2", "c/6")
    # cached per snapshot: the full board is the same rows object
    assert view.grid_view(snap, params()).rows is view.grid_view(snap, params(moe="dense")).rows


def test_serialized_grid_payload_is_the_stock_one():
    from shiny import render

    from modules import explorer as mod
    snap = snap_of()
    g = view.grid_view(snap, params(types=(FT, CHAT)), link=mod._html_cell)
    kw = dict(filters=True, selection_mode="rows", width="100%", height="640px")
    assert mod.SerializedGrid(g.frame, g.rows, **kw).to_payload() == render.DataGrid(g.frame, **kw).to_payload()


def test_selected_repo_ids():
    tbl = view.table(snap_of(), params())
    assert view.selected_repo_ids(tbl, [3, 0, 3]) == ("a/1", "b/4")
    assert view.selected_repo_ids(tbl, [99, -1, "2", 1.0]) == ()
    assert view.selected_repo_ids(tbl, ()) == ()


def test_inputs_parse_into_params():
    snap = snap_of()
    raw = {"dates": ("2024-01-31", "2024-02-29"), "types": [CHAT, FT], "sizes": ["Small"], "licenses": ["mit"],
           "moe": "dense", "official": "community", "undated": False, "min_score": 0}
    p = view.Params.from_inputs(raw, snap)
    assert p == params(start=dt.date(2024, 1, 31), end=dt.date(2024, 2, 29), types=(FT, CHAT), sizes=("Small",),
                       licenses=("mit",), moe="dense", official="community", undated=False, min_score=0.0)
    assert ids(p) == ["c/6"]  # a/1 is official; c/6 has no average but the minimum is 0
    assert ids(params(**{**p.__dict__, "min_score": 10.0})) == []
    assert view.Params.from_inputs({}, snap) == view.Params.defaults(snap)


@pytest.mark.parametrize("raw, error, needle", [
    ({"types": ["nope"]}, inputs.InvalidInput, "unknown value"),
    ({"sizes": ["Huge"]}, inputs.InvalidInput, "unknown value"),
    ({"licenses": ["gpl-3.0"]}, inputs.InvalidInput, "unknown value"),  # not among the listed ones
    ({"moe": "maybe"}, inputs.InvalidInput, "MoE"),
    ({"official": True}, inputs.InvalidInput, "official"),
    ({"undated": "yes"}, inputs.InvalidInput, "true or false"),
    ({"min_score": 101}, inputs.InvalidInput, "outside"),
    ({"min_score": -1}, inputs.InvalidInput, "outside"),
    ({"min_score": "50"}, inputs.InvalidInput, "number"),
    ({"min_score": float("nan")}, inputs.InvalidInput, "number"),
    ({"min_score": True}, inputs.InvalidInput, "number"),
    ({"dates": ("2024-13-01", "2024-02-01")}, inputs.InvalidInput, "not a date"),
    ({"dates": "2024-01-01"}, inputs.InvalidInput, "start and an end"),
    ({"dates": ("2024-03-01", "2024-02-01")}, inputs.EmptySelection, "before"),
    ({"types": []}, inputs.EmptySelection, "model type"),
    ({"sizes": []}, inputs.EmptySelection, "size class"),
    ({"licenses": []}, inputs.EmptySelection, "license"),
])
def test_forged_and_empty_inputs(raw, error, needle):
    with pytest.raises(error, match=needle):
        view.Params.from_inputs(raw, snap_of())


def test_no_figure():
    assert view.FIGURES == ()
    with pytest.raises(inputs.InvalidInput):
        view.figure(pd.DataFrame(), params(), "any")


# --------------------------------------------------------------------------- real data


def _plain_filter(m: pd.DataFrame, p: view.Params, top: list[str]) -> list[str]:
    """The filters again, row by row in plain Python (no code shared with the view)."""
    from llmtrends.pipeline import providers
    names = providers.official_namespaces()
    out = []
    for r in m.itertuples(index=False):
        size = r.size_class if isinstance(r.size_class, str) else "Unknown"
        lic = r.license.strip() if isinstance(r.license, str) else ""
        lic_key = lic if lic in top else REST
        flag = r.official
        official = bool(flag) if flag is not pd.NA and flag is not None else (str(r.namespace).lower() in names)
        moe = bool(r.moe) if r.moe is not pd.NA else False
        placeholder = r.created_at_placeholder
        placeholder = False if placeholder is pd.NA or placeholder is None else bool(placeholder)
        real = not pd.isna(r.created_at) and not placeholder
        day = r.created_at.date() if real else None
        avg = round(r.average, 2) if r.average == r.average else r.average  # as the grid shows it
        kind = r.type if isinstance(r.type, str) else "unknown"
        ok = (kind in p.types and size in p.sizes and lic_key in p.licenses
              and (p.moe == "all" or moe == (p.moe == "moe"))
              and (p.official == "all" or official == (p.official == "official"))
              and ((day is not None and p.start <= day <= p.end) or (day is None and p.undated))
              and ((avg == avg and avg >= p.min_score) or (avg != avg and p.min_score <= 0)))
        if ok:
            out.append(r.repo_id)
    return out


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_filters_match_a_plain_computation_on_real_data(snapshot_dir, board):
    snap = store.read_snapshot(snapshot_dir, board)
    m = snap.models
    d = view.Params.defaults(snap)
    top = [x for x in d.licenses if x != REST]
    # independently: the most common real licenses
    lic = m["license"].dropna().astype(str).str.strip()
    lic = lic[~lic.str.lower().isin(["", "?", "unknown", "none", "nan"])]
    counts = lic.value_counts()
    expect_top = sorted(counts.index, key=lambda k: (-counts[k], k))[:view.TOP_LICENSES]
    assert top == expect_top
    assert ids(d, snap) == m["repo_id"].tolist()  # the defaults keep every model
    span = d.end - d.start
    cases = [
        dict(min_score=round(float(np.nanmedian(m["average"])), 1)),
        dict(moe="moe", official="official", min_score=30.0),
        dict(types=d.types[:2], sizes=("Small", "Unknown")),
        dict(licenses=(top[0], REST), moe="dense", official="community"),
        dict(official="official", undated=False),
        dict(start=d.start + span / 3, end=d.end - span / 3, undated=False, moe="moe"),
        dict(start=d.start + span / 2, end=d.end, types=d.types[-2:], licenses=(REST,), min_score=20.0),
    ]
    for case in cases:
        p = params(**{**{f: getattr(d, f) for f in ("start", "end", "types", "sizes", "licenses")}, **case})
        got = ids(p, snap)
        assert got == _plain_filter(m, p, top), case
        assert got, f"{case}: the case should keep some models"
        # the grid (rows of the server's filters, then its own column filters) shows the same
        # models, best average (to two decimals) first, ties by repo id, none last
        avg = m.set_index("repo_id")["average"].round(2)
        best_first = sorted(got, key=lambda r: (avg[r] != avg[r], -avg[r] if avg[r] == avg[r] else 0, r))
        assert _grid_side(view.grid_view(snap, p), p, board) == best_first, case
    tbl = view.table(snap, d)
    assert len(tbl) == len(m) and list(tbl.columns) == view.csv_columns(board)


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_a_board_larger_than_the_grid_holds_its_first_matches_of_every_filter(snapshot_dir, board, monkeypatch):
    """With the grid's bound below the board's size (as the hub board's hundreds of
    thousands are above it), every filter, MoE, provider and minimum score too, picks the
    rows on the server; the grid holds the first matches best average first and says how
    many match. Checked against the plain filter and a plain sort."""
    snap = store.read_snapshot(snapshot_dir, board)
    m = snap.models
    d = view.Params.defaults(snap)
    monkeypatch.setattr(view, "GRID_MAX_ROWS", 40)
    assert view.grid_cut(snap) and len(m) > 40
    top = [x for x in d.licenses if x != REST]
    avg = m.set_index("repo_id")["average"].round(2)
    for case in (dict(), dict(moe="dense", official="community", min_score=20.0), dict(moe="moe")):
        p = params(**{**{f: getattr(d, f) for f in ("start", "end", "types", "sizes", "licenses")}, **case})
        match = _plain_filter(m, p, top)
        best_first = sorted(match, key=lambda r: (avg[r] != avg[r], -avg[r] if avg[r] == avg[r] else 0, r))
        g = view.grid_view(snap, p)
        assert g.total == len(match), case
        assert g.frame["Model"].tolist() == best_first[:40] == [row[0] for row in g.rows], case
        assert g.cut == (len(match) > 40)
    monkeypatch.setattr(view, "GRID_MAX_ROWS", len(m))  # the real boards fit: nothing is cut
    assert not view.grid_cut(snap) and not view.grid_view(snap, d).cut


# Made-up ids a spreadsheet would run as formulas (=, +, -, @, tab), and a harmless one.
HOSTILE_IDS = ['=HYPERLINK("http://evil.example","open")', "+1+1", "-2+3", "@SUM(A1:A9)", "\tcmd", "ok/-dash"]


def test_the_csv_export_neutralizes_spreadsheet_formulas():
    import csv
    import io

    rows = [(hostile, *row[1:]) for hostile, row in zip(HOSTILE_IDS, ROWS)]
    snap = snap_of(rows, namespaces=None)
    tbl = view.table(snap, params(start=dt.date(2022, 1, 1), end=dt.date(2024, 12, 31)))
    cells = list(csv.reader(io.StringIO(provenance.table_csv(tbl))))
    header, body = cells[0], cells[1:]
    assert header == view.csv_columns("v2")
    written = sorted(row[header.index("repo_id")] for row in body)
    # by hand: a leading ' on every id that starts a formula, none on the others
    assert written == sorted(['\'=HYPERLINK("http://evil.example","open")', "'+1+1", "'-2+3", "'@SUM(A1:A9)",
                              "'\tcmd", "ok/-dash"])
    for row in body:
        for cell in row:
            if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                float(cell)  # only a number may start so: a spreadsheet reads it as a number


def test_csv_text_cells_are_prefixed_and_numbers_left_alone():
    frame = pd.DataFrame({"change": [-3.0, 2.5], "label": ["-3", "=1+1"], "note": ["a-b", None]})
    assert provenance.table_csv(frame) == "change,label,note\n-3.0,'-3,a-b\n2.5,'=1+1,\n"
    assert list(frame["label"]) == ["-3", "=1+1"]  # the caller's table is not changed


# --------------------------------------------------------------------------- quick filters, columns, selection


def test_parameters_range_by_hand():
    snap = snap_of()
    # sizes: a/1 7, a/2 13, b/3 70, b/4 unknown, c/5 3, c/6 1, d/7 20; the board's ceiling is 70
    assert view.params_ceiling(snap.models) == 70.0
    assert ids(params(params_b=(3.0, 13.0))) == ["a/1", "a/2", "c/5"]  # both ends inclusive
    assert ids(params(params_b=(0.0, 1.0))) == ["c/6"]
    # the whole range is no filter at all: unknown sizes stay
    assert view.parse_params_range([0, 70], 70.0) is None and ids(params(params_b=None)) == ALL
    assert view.parse_params_range((2, 70), 70.0) == (2.0, 70.0)
    p = view.Params.from_inputs({"params_b": [3, 13]}, snap)
    assert p.params_b == (3.0, 13.0) and ids(p) == ["a/1", "a/2", "c/5"]


@pytest.mark.parametrize("value, needle", [
    ([5], "low and a high"), ("5-10", "low and a high"), ([10, 5], "above"), ([-1, 5], "outside"),
    ([0, 71], "outside"), ([True, 5], "numbers"), ([float("nan"), 5], "numbers"), (["1", "5"], "numbers"),
])
def test_forged_parameters_ranges(value, needle):
    with pytest.raises(inputs.InvalidInput, match=needle):
        view.Params.from_inputs({"params_b": value}, snap_of())


def test_hide_merges_by_hand():
    snap = snap_of()
    snap.models["merged"] = pd.array([False, True, None, True, False, False, False], dtype="boolean")
    assert ids(params(hide_merges=True), snap) == ["a/1", "b/3", "c/5", "c/6", "d/7"]  # a missing flag: no merge
    assert ids(params(hide_merges=False), snap) == ALL
    assert view.Params.from_inputs({"hide_merges": True}, snap).hide_merges is True
    with pytest.raises(inputs.InvalidInput, match="true or false"):
        view.Params.from_inputs({"hide_merges": "yes"}, snap)
    assert view.table(snap, params())["merged"].tolist() == [False, True, pd.NA, True, False, False, False]


def test_flagged_note_says_what_the_pipeline_removed():
    snap = snap_of()
    assert "none on this board" in view.flagged_note(snap)
    counted = store.Snapshot(board="v2", models=snap.models, commit_authors=None,
                             manifest={"counts": {"flagged_removed": 1234}})
    assert "removed the 1,234 flagged models" in view.flagged_note(counted)
    one = store.Snapshot(board="v2", models=snap.models, commit_authors=None, manifest={"counts": {"flagged_removed": 1}})
    assert "the 1 flagged model of" in view.flagged_note(one)


def test_hidden_columns_by_hand():
    # v2's grid: Model Hub Type Family Size Params Average IFEval BBH MATH GPQA MuSR MMLU-PRO
    #            License MoE Official Created Likes CO2 (positions 0..18)
    assert view.grid_columns("v2")[7:13] == ["IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO"]
    assert view.hidden_columns("v2", view.DEFAULT_COLUMNS) == [2, 3, 13, 14, 15, 16, 17, 18]
    assert view.hidden_columns("v2", view.COLUMN_GROUPS) == []
    assert view.hidden_columns("v2", ()) == list(range(1, 19))  # the model's name always shows
    assert view.hidden_columns("v2", ("Average", "nonsense")) == [1, 2, 3, 4, 5, *range(7, 19)]


def test_a_selection_belongs_to_its_board():
    picked = view.Selection("v2", ("a/1", "a/2"))
    assert picked.on("v2") == ("a/1", "a/2") and picked.on("v1") == ()
    assert view.Selection().on("v2") == ()


def test_table_of_the_grids_rows_keeps_their_order():
    snap = snap_of()
    tbl = view.table_of(snap, ["d/7", "a/1", "zz/not-here", 5, "c/5"])
    assert tbl["repo_id"].tolist() == ["d/7", "a/1", "c/5"] and list(tbl.columns) == view.csv_columns("v2")
    assert tbl["average"].tolist() == [55.5, 50.0, 30.0] and tbl.attrs["models_shown"] == 3
    assert view.table_of(snap, []).columns.tolist() == view.csv_columns("v2") and view.table_of(snap, []).empty


def test_the_server_filters_the_grids_rows_by_every_control_but_the_grids_own(monkeypatch):
    """The grid's own column filters (MoE, provider, minimum score on a score) are left to the
    grid while it holds the whole board; past GRID_MAX_ROWS every filter is the server's.
    The board is made up: only its number of models matters here."""
    from types import SimpleNamespace

    names = ("min_score", "score", "params_b", "types", "moe", "official", "dates")
    board = SimpleNamespace(models=range(50))
    monkeypatch.setattr(view, "GRID_MAX_ROWS", 50)
    assert view.server_controls(board, names) == ("params_b", "types", "dates")
    monkeypatch.setattr(view, "GRID_MAX_ROWS", 49)
    assert view.server_controls(board, names) == names
