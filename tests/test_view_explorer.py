"""Model Explorer: each filter alone and combined on a hand-made board, the score boundary,
dates with the Hub's placeholder, licenses (top + rest), the grid frame and its links, the
selection, forged inputs, and a second computation of the filters on real data (plain pandas)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from llmtrends import schema, store
from llmtrends.views import common as vc
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
    with pytest.raises(vc.EmptySelection, match="No model matches"):
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
    assert "<b>" not in link and "&lt;b&gt;" in link
    assert 'href="https://huggingface.co/x/%3Cb%3Ebad%3C/b%3E%26%22q"' in link
    assert grid["Hub"].iloc[1] == ('<a href="https://huggingface.co/a/1" target="_blank" rel="noopener noreferrer" '
                                   'title="a/1 on the Hub">Hub ↗</a>')
    assert grid["MoE"].tolist() == ["no", "no", "yes"] and grid["Official"].tolist() == ["yes", "yes", "no"]
    assert grid["Created"].tolist() == ["2024-01-10", "2024-01-10", "2024-02-15"]
    wrapped = view.grid_frame(tbl, "v2", link=lambda h: ("wrapped", h))
    assert wrapped["Hub"].iloc[1] == ("wrapped", grid["Hub"].iloc[1])


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
    ({"types": ["nope"]}, vc.InvalidInput, "unknown value"),
    ({"sizes": ["Huge"]}, vc.InvalidInput, "unknown value"),
    ({"licenses": ["gpl-3.0"]}, vc.InvalidInput, "unknown value"),  # not among the listed ones
    ({"moe": "maybe"}, vc.InvalidInput, "MoE"),
    ({"official": True}, vc.InvalidInput, "official"),
    ({"undated": "yes"}, vc.InvalidInput, "true or false"),
    ({"min_score": 101}, vc.InvalidInput, "outside"),
    ({"min_score": -1}, vc.InvalidInput, "outside"),
    ({"min_score": "50"}, vc.InvalidInput, "number"),
    ({"min_score": float("nan")}, vc.InvalidInput, "number"),
    ({"min_score": True}, vc.InvalidInput, "number"),
    ({"dates": ("2024-13-01", "2024-02-01")}, vc.InvalidInput, "not a date"),
    ({"dates": "2024-01-01"}, vc.InvalidInput, "start and an end"),
    ({"dates": ("2024-03-01", "2024-02-01")}, vc.EmptySelection, "before"),
    ({"types": []}, vc.EmptySelection, "model type"),
    ({"sizes": []}, vc.EmptySelection, "size class"),
    ({"licenses": []}, vc.EmptySelection, "license"),
])
def test_forged_and_empty_inputs(raw, error, needle):
    with pytest.raises(error, match=needle):
        view.Params.from_inputs(raw, snap_of())


def test_no_figure():
    assert view.FIGURES == ()
    with pytest.raises(vc.InvalidInput):
        view.figure(pd.DataFrame(), params(), "any")


# --------------------------------------------------------------------------- real data


def _plain_filter(m: pd.DataFrame, p: view.Params, top: list[str]) -> list[str]:
    """The filters again, row by row in plain Python (no code shared with the view)."""
    from llmtrends import providers
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
        avg = r.average
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
        dict(min_score=float(np.nanmedian(m["average"]))),
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
    tbl = view.table(snap, d)
    assert len(tbl) == len(m) and list(tbl.columns) == view.csv_columns(board)
