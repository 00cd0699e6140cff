"""Official vs Community: hand-worked tables, independent computations on both boards,
forged inputs, figures."""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import providers, store
from llmtrends.serving import render
from llmtrends.views import inputs
from llmtrends.views import official as view

FT, CHAT, MERGE = schema.TYPE_FINETUNED, schema.TYPE_CHAT, schema.TYPE_MERGE
OFF, COM = "Official provider", "Community"

# repo_id, namespace, official flag, type, size_class
ROWS = [
    ("meta-llama/a", "meta-llama", True, FT, "Small"),
    ("meta-llama/b", "meta-llama", True, FT, "Large"),
    ("Qwen/c", "Qwen", None, CHAT, "Medium"),   # no flag; on the curated list
    ("Qwen/d", "Qwen", None, CHAT, "Small"),
    ("me/1", "me", False, FT, "Small"),
    ("me/2", "me", None, FT, "Small"),          # no flag; not on the list
    ("me/3", "me", False, FT, "Small"),
    ("me/4", "me", False, MERGE, "Medium"),     # type not ticked in most tests
    ("me/5", "me", False, FT, "Large"),
    ("me/6", "me", False, FT, None),            # size unknown: left out
]


def snap_of(rows=ROWS) -> store.Snapshot:
    models = pd.DataFrame(rows, columns=["repo_id", "namespace", "official", "type", "size_class"])
    models["official"] = models["official"].astype("boolean")
    return store.Snapshot(board="v1", models=models, commit_authors=None, manifest={})


def rows_of(tbl):
    return {(r.provider, r.size_class): r for r in tbl.itertuples()}


def test_table_by_hand():
    tbl = view.table(snap_of(), view.Params(types=(FT, CHAT)))
    assert list(tbl.columns) == list(view.CSV_COLUMNS)
    assert tbl[["provider", "size_class"]].values.tolist() == [
        [OFF, "Small"], [OFF, "Medium"], [OFF, "Large"], [COM, "Small"], [COM, "Medium"], [COM, "Large"]]
    assert tbl["models"].tolist() == [2, 1, 1, 3, 0, 1]
    assert tbl["provider_models"].tolist() == [4, 4, 4, 4, 4, 4]
    assert tbl["share_of_provider"].tolist() == [0.5, 0.25, 0.25, 0.75, 0.0, 0.25]
    assert tbl["large_models"].tolist() == [1, 1, 1, 1, 1, 1]
    assert tbl["ratio_to_large"].tolist() == [2.0, 1.0, 1.0, 3.0, 0.0, 1.0]
    assert tbl["official_source"].tolist() == ["board + provider list", "provider list", "board",
                                               "board + provider list", "", "board"]
    assert tbl.attrs["models_shown"] == 8


def test_groups_without_large_models_have_no_ratio():
    tbl = view.table(snap_of(), view.Params(types=(CHAT,)))
    got = rows_of(tbl)
    assert (got[(OFF, "Small")].models, got[(OFF, "Medium")].models, got[(OFF, "Large")].models) == (1, 1, 0)
    assert math.isnan(got[(OFF, "Small")].ratio_to_large)
    assert got[(COM, "Small")].provider_models == 0 and got[(COM, "Small")].share_of_provider == 0.0
    # the figures still draw, saying there is no Large model
    for which in view.FIGURES:
        png = render.figure_bytes(view.figure(tbl, view.Params(types=(CHAT,)), which))
        assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_type_filter_by_hand():
    tbl = view.table(snap_of(), view.Params(types=(FT, CHAT, MERGE)))
    assert rows_of(tbl)[(COM, "Medium")].models == 1
    assert rows_of(tbl)[(COM, "Medium")].ratio_to_large == 1.0


def test_empty_selections_are_friendly():
    with pytest.raises(inputs.EmptySelection, match="Tick at least one"):
        view.Params.from_inputs({"types": []}, snap_of())
    unsized = [r for r in ROWS if r[4] is None]
    with pytest.raises(inputs.EmptySelection, match="knows no model's parameter count"):  # a board without sizes
        view.table(snap_of(unsized), view.Params(types=(FT,)))


def test_inputs_parse_into_params():
    assert view.Params.from_inputs({"types": [MERGE, FT]}, snap_of()) == view.Params(types=(FT, MERGE))
    assert view.Params.from_inputs({}, snap_of()) == view.Params(types=(FT, CHAT, MERGE))


@pytest.mark.parametrize("raw, needle", [
    ({"types": ["not a type"]}, "unknown value"),
    ({"types": ["pretrained"]}, "unknown value"),  # a real label this board does not have
    ({"types": [None]}, "unknown value"),
    ({"types": 5}, "expected a list"),
])
def test_forged_inputs_are_rejected(raw, needle):
    with pytest.raises(inputs.InvalidInput, match=needle):
        view.Params.from_inputs(raw, snap_of())


def test_unknown_figure_is_rejected():
    with pytest.raises(inputs.InvalidInput):
        view.figure(view.table(snap_of(), view.Params(types=(FT,))), view.Params(types=(FT,)), "donut")


def _expected(models: pd.DataFrame, official: np.ndarray) -> dict:
    """(group, size) -> (models, ratio to the group's Large count), from parameters directly."""
    keep = (models["type"].notna() & models["params_b"].notna()).to_numpy()
    m, official = models[keep], official[keep]
    size = np.where(m["params_b"] <= 9, "Small", np.where(m["params_b"] <= 40, "Medium", "Large"))
    out = {}
    for group, flag in ((OFF, True), (COM, False)):
        n = {s: int(((official == flag) & (size == s)).sum()) for s in ("Small", "Medium", "Large")}
        for s in n:
            out[(group, s)] = (n[s], n[s] / n["Large"])
    return out


def test_independent_computation_on_real_v2(snapshot_dir):
    """v2: the board's own flag, counted per size class from the parameter thresholds."""
    snap = store.read_snapshot(snapshot_dir, "v2")
    m = snap.models.reset_index(drop=True)
    expected = _expected(m, m["official"].astype(bool).to_numpy())
    got = rows_of(view.table(snap, view.Params.defaults(snap)))
    for key, (n, ratio) in expected.items():
        assert got[key].models == n, key
        assert got[key].ratio_to_large == pytest.approx(ratio), key
    assert set(view.table(snap, view.Params.defaults(snap))["official_source"]) == {"board"}
    # the community publishes relatively more small models than the official providers
    assert expected[(COM, "Small")][1] > expected[(OFF, "Small")][1]


def test_independent_computation_on_real_v1(snapshot_dir):
    """v1 has no flag: the namespace (from repo_id) on the curated CSV, read here with csv."""
    snap = store.read_snapshot(snapshot_dir, "v1")
    assert snap.models["official"].isna().all()
    with open(providers.OFFICIAL_FILE, encoding="utf-8") as fh:
        listed = {row["namespace"].lower() for row in csv.DictReader(fh)}
    m = snap.models.reset_index(drop=True)
    official = np.array([rid.split("/")[0].lower() in listed for rid in m["repo_id"]])
    expected = _expected(m, official)
    tbl = view.table(snap, view.Params.defaults(snap))
    got = rows_of(tbl)
    for key, (n, ratio) in expected.items():
        assert got[key].models == n, key
        assert got[key].ratio_to_large == pytest.approx(ratio), key
    assert set(tbl["official_source"]) == {"provider list"}
    assert expected[(OFF, "Large")][0] > 0


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_figures_render_and_follow_parameters(snapshot_dir, board):
    snap = store.read_snapshot(snapshot_dir, board)
    d = view.Params.defaults(snap)
    other = view.Params(types=d.types[:1])
    for which in view.FIGURES:
        a = render.figure_bytes(view.figure(view.table(snap, d), d, which), "png")
        b = render.figure_bytes(view.figure(view.table(snap, other), other, which), "png")
        assert a[:8] == b"\x89PNG\r\n\x1a\n" and b[:8] == b"\x89PNG\r\n\x1a\n"
        assert a != b
