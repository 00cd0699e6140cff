"""CO₂ Cost: hand-worked tables, an independent computation on v2, v1's message, forged inputs,
figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import co2 as view
from llmtrends.views import inputs

FT, CHAT, MERGE = schema.TYPE_FINETUNED, schema.TYPE_CHAT, schema.TYPE_MERGE

# repo_id, namespace, official, type, size_class, co2_kg, average
ROWS = [
    ("meta-llama/1", "meta-llama", True, FT, "Small", 2.0, 40.0),   # 20 per kg
    ("Qwen/2", "Qwen", None, CHAT, "Large", 10.0, 50.0),            # no flag, on the list: official; 5
    ("someone/1", "someone", False, FT, "Small", 1.0, 30.0),        # 30
    ("someone/2", "someone", None, FT, "Small", 4.0, 20.0),         # no flag, not listed: community; 5
    ("qwen/3", "qwen", False, CHAT, "Large", 25.0, 50.0),           # the board's False wins; 2
    ("someone/4", "someone", False, FT, None, 5.0, 10.0),           # size unknown; 2
    ("someone/5", "someone", False, FT, "Small", np.nan, 10.0),     # no CO2: left out
    ("someone/6", "someone", False, MERGE, "Small", 1.0, 10.0),     # type not ticked in most tests
    ("someone/7", "someone", False, FT, "Small", 3.0, np.nan),      # no score: left out
]


def snap_of(rows=ROWS, board="v2") -> store.Snapshot:
    models = pd.DataFrame(rows, columns=["repo_id", "namespace", "official", "type", "size_class", "co2_kg",
                                         "average"])
    models["official"] = models["official"].astype("boolean")
    return store.Snapshot(board=board, models=models, commit_authors=None, manifest={})


def test_table_by_hand():
    tbl = view.table(snap_of(), view.Params(types=(FT, CHAT)))
    assert list(tbl.columns) == list(view.CSV_COLUMNS)
    assert tbl["repo_id"].tolist() == ["someone/1", "meta-llama/1", "someone/2", "someone/4", "Qwen/2", "qwen/3"]
    assert tbl["provider"].tolist() == ["Community", "Official provider", "Community", "Community",
                                        "Official provider", "Community"]
    assert tbl["official_source"].tolist() == ["board", "board", "provider list", "board", "provider list",
                                               "board"]
    assert tbl["score_per_kg"].tolist() == [30.0, 20.0, 5.0, 2.0, 5.0, 2.0]
    cells = tbl.set_index("repo_id")
    assert cells.loc["someone/1", "cell_models"] == 3 and cells.loc["someone/1", "cell_median_score_per_kg"] == 20.0
    assert cells.loc["qwen/3", "cell_models"] == 2 and cells.loc["qwen/3", "cell_median_score_per_kg"] == 3.5
    assert cells.loc["someone/4", "cell_models"] == 1 and cells.loc["someone/4", "cell_median_score_per_kg"] == 2.0
    assert tbl.attrs["models_shown"] == 6


def test_efficiency_summary_by_hand_leaves_out_unknown_sizes():
    tbl = view.table(snap_of(), view.Params(types=(FT, CHAT, MERGE)))
    eff = view.efficiency(tbl).sort_values(["type", "size_class"]).reset_index(drop=True)
    assert eff.values.tolist() == [
        [MERGE, "Small", 1, 10.0],
        [CHAT, "Large", 2, 3.5],
        [FT, "Small", 3, 20.0],
    ]


def test_v1_has_no_co2_data():
    rows = [r[:5] + (np.nan,) + r[6:] for r in ROWS]
    with pytest.raises(inputs.EmptySelection, match="no CO₂ data"):
        view.table(snap_of(rows, board="v1"), view.Params(types=(FT,)))


def test_empty_selections_are_friendly():
    only_merge = [r for r in ROWS if r[3] != MERGE] + [("x/1", "x", False, MERGE, "Small", np.nan, 9.0)]
    with pytest.raises(inputs.EmptySelection, match="No models of the selected types"):
        view.table(snap_of(only_merge), view.Params(types=(MERGE,)))
    with pytest.raises(inputs.EmptySelection, match="Tick at least one"):
        view.Params.from_inputs({"types": []}, snap_of())
    no_size = [r for r in ROWS if r[0] == "someone/4"]
    tbl = view.table(snap_of(no_size), view.Params(types=(FT,)))
    # the cost plot has its model; the efficiency plot says, in the figure, why it is blank
    fig = view.figure(tbl, view.Params(types=(FT,)), "efficiency")
    texts = [layer.geom.aes_params.get("label") for layer in fig.layers]
    assert texts == ["None of the selected models has a known size class."]
    assert render.figure_bytes(fig, "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_inputs_parse_into_params():
    p = view.Params.from_inputs({"types": [MERGE, FT], "log_scale": False}, snap_of())
    assert p == view.Params(types=(FT, MERGE), log_scale=False)
    assert view.Params.defaults(snap_of()) == view.Params(types=(FT, CHAT, MERGE), log_scale=True)


@pytest.mark.parametrize("raw, needle", [
    ({"types": ["not a type"]}, "unknown value"),
    ({"types": [schema.TYPE_MULTIMODAL]}, "unknown value"),  # a real label this board does not have
    ({"types": 1.5}, "expected a list"),
    ({"log_scale": "true"}, "true or false"),
    ({"log_scale": 0}, "true or false"),
])
def test_forged_inputs_are_rejected(raw, needle):
    with pytest.raises(inputs.InvalidInput, match=needle):
        view.Params.from_inputs(raw, snap_of())


def test_unknown_figure_is_rejected():
    with pytest.raises(inputs.InvalidInput):
        view.figure(view.table(snap_of(), view.Params(types=(FT,))), view.Params(types=(FT,)), "map")


def test_real_v1_board_says_it_has_no_co2(snapshot_dir):
    snap = store.read_snapshot(snapshot_dir, "v1")
    with pytest.raises(inputs.EmptySelection, match="no CO₂ data"):
        view.table(snap, view.Params.defaults(snap))


def test_independent_computation_on_real_v2(snapshot_dir):
    """Provider counts and per-cell medians of score/kg from the v2 models with plain pandas."""
    snap = store.read_snapshot(snapshot_dir, "v2")
    p = view.Params.defaults(snap)
    tbl = view.table(snap, p)

    m = snap.models
    m = m[m["average"].notna() & (m["co2_kg"] > 0) & m["type"].notna()]
    official = m["official"].astype(bool)  # v2 flags every model
    assert len(tbl) == len(m)
    assert (tbl["provider"] == "Official provider").sum() == official.sum()
    assert (tbl["official_source"] == "board").all()
    cls = np.where(m["params_b"] <= 9, "Small", np.where(m["params_b"] <= 40, "Medium", "Large"))
    known = m["params_b"].notna().to_numpy()
    ratio = (m["average"] / m["co2_kg"]).to_numpy()
    expected = {}
    for t in m["type"].unique():
        for s in ("Small", "Medium", "Large"):
            sel = (m["type"].to_numpy() == t) & (cls == s) & known
            if sel.any():
                expected[(t, s)] = (int(sel.sum()), float(np.median(ratio[sel])))
    eff = view.efficiency(tbl).set_index(["type", "size_class"])
    assert len(eff) == len(expected)
    for key, (n, med) in expected.items():
        assert eff.loc[key, "models"] == n
        assert eff.loc[key, "median_score_per_kg"] == pytest.approx(med)


def test_figures_render_and_follow_parameters(snapshot_dir):
    snap = store.read_snapshot(snapshot_dir, "v2")
    d = view.Params.defaults(snap)
    other = view.Params(types=d.types[:3], log_scale=False)
    for which in view.FIGURES:
        a = render.figure_bytes(view.figure(view.table(snap, d), d, which), "png")
        b = render.figure_bytes(view.figure(view.table(snap, other), other, which), "png")
        assert a[:8] == b"\x89PNG\r\n\x1a\n" and b[:8] == b"\x89PNG\r\n\x1a\n"
        assert a != b
