"""Mixture of Experts: hand-worked tables, an independent computation on both boards,
forged inputs, figures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import inputs, provenance
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


def snap_of(rows=ROWS, architectures: dict | None = None) -> store.Snapshot:
    """Made-up models (not real data): the m/ ones are Mixtral, the d/ ones Mistral, unless
    ``architectures`` (repo_id -> class) says otherwise."""
    models = pd.DataFrame(rows, columns=["repo_id", "moe", "created_at", "average", "params_b", "size_class"])
    models["moe"] = models["moe"].astype("boolean")
    models["created_at"] = pd.to_datetime(models["created_at"])
    models["created_at_placeholder"] = models["repo_id"] == "d/7"
    models["type"] = FT
    models["architecture_family"] = "Mistral"
    models["architecture"] = [(architectures or {}).get(r, "MixtralForCausalLM" if r.startswith("m/")
                                                        else "MistralForCausalLM") for r in models["repo_id"]]
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
    with pytest.raises(inputs.EmptySelection, match="No models"):
        view.table(snap_of(), params(start=dt.date(2023, 1, 1), end=dt.date(2023, 2, 1)))
    with pytest.raises(inputs.EmptySelection, match="size class"):
        view.Params.from_inputs({"sizes": []}, snap_of())
    with pytest.raises(inputs.EmptySelection, match="before the start"):
        view.Params.from_inputs({"dates": ("2024-03-01", "2024-01-01")}, snap_of())


def test_inputs_parse_into_params():
    p = view.Params.from_inputs({"dates": ("2024-01-05", "2024-02-01"), "sizes": ["Large", "Small"]}, snap_of())
    assert p == view.Params(start=dt.date(2024, 1, 5), end=dt.date(2024, 2, 1), sizes=("Small", "Large"))
    assert p.rule == "architecture"
    d = view.Params.defaults(snap_of())
    assert (d.start, d.end, d.sizes, d.rule) == (dt.date(2024, 1, 5), dt.date(2024, 4, 1),
                                                 ("Small", "Medium", "Large"), "architecture")
    assert view.Params.from_inputs({"rule": "flag"}, snap_of()).rule == "flag"


@pytest.mark.parametrize("raw, needle", [
    ({"sizes": ["Huge"]}, "unknown value"),
    ({"sizes": ["small"]}, "unknown value"),
    ({"sizes": 3}, "expected a list"),
    ({"dates": ("2024-13-45", "2024-02-01")}, "not a date"),
    ({"dates": ("2024-01-01",)}, "start and an end"),
    ({"dates": [None, "2024-01-01"]}, "not a date"),
    ({"dates": ("0001-01-01", "9999-12-31")}, "outside the board's dates"),
    ({"dates": ("2024-01-05", "2024-04-02")}, "end: 2024-04-02 is outside the board's dates"),  # a day past the picker's max
    ({"rule": "vibes"}, "MoE rule"),
])
def test_forged_inputs_are_rejected(raw, needle):
    with pytest.raises(inputs.InvalidInput, match=needle):
        view.Params.from_inputs(raw, snap_of())


def test_unknown_figure_is_rejected():
    with pytest.raises(inputs.InvalidInput):
        view.figure(view.table(snap_of(), params()), params(), "violin")


# The mixture-of-experts architecture classes on the two real boards, by hand (the view's
# list is by family key in llmtrends/schema.py; this one is written out independently).
MOE_CLASSES = {"MixtralForCausalLM", "Qwen2MoeForCausalLM", "DbrxForCausalLM", "GraniteMoeForCausalLM",
               "OlmoeForCausalLM", "JambaForCausalLM", "DeepseekForCausalLM", "AriaForConditionalGeneration",
               "SwitchTransformersForConditionalGeneration"}


def hand_moe(models: pd.DataFrame) -> pd.Series:
    """MoE by architecture, from the class names above; missing where the architecture is."""
    return models["architecture"].isin(MOE_CLASSES).where(models["architecture"].notna())


@pytest.mark.parametrize("board", ["v1", "v2"])
@pytest.mark.parametrize("rule", ["architecture", "flag"])
def test_independent_computation_on_real_data(snapshot_dir, board, rule):
    """Counts and medians per (size class, MoE) from the processed models with plain pandas."""
    snap = store.read_snapshot(snapshot_dir, board)
    p = view.Params(**{**vars(view.Params.defaults(snap)), "rule": rule})
    tbl = view.table(snap, p)

    m = snap.models
    is_moe = hand_moe(m) if rule == "architecture" else m["moe"].astype(object).where(m["moe"].notna())
    real_date = m["created_at"].notna() & (m["created_at"].dt.strftime("%Y-%m-%d") != "2022-03-02")
    keep = real_date & m["average"].notna() & m["params_b"].notna() & (m["params_b"] > 0) & is_moe.notna()
    m, is_moe = m[keep], is_moe[keep].astype(bool).to_numpy()
    cls = np.where(m["params_b"] <= 9, "Small", np.where(m["params_b"] <= 40, "Medium", "Large"))
    expected = {}
    for (size, moe), scores in m["average"].groupby([cls, is_moe]):
        expected[(size, "MoE" if moe else "Dense")] = (len(scores), float(scores.median()))
    for moe, scores in m["average"].groupby(is_moe):
        expected[(view.ALL_SIZES, "MoE" if moe else "Dense")] = (len(scores), float(scores.median()))

    got = view.counts(tbl, p.sizes).set_index(["panel", "experts"])
    assert len(tbl) == len(m)
    for key, (n, med) in expected.items():
        assert got.loc[key, "models"] == n, key
        assert got.loc[key, "median_average"] == pytest.approx(med), key
    assert expected[(view.ALL_SIZES, "MoE")][0] > 0


def test_rules_disagree_by_hand():
    # made-up data: m/1 is flagged MoE but dense by architecture (a Llama, like 01-ai/Yi-6B on
    # v1), d/1 is a Mixtral the flag calls dense, x/1 has no architecture
    rows = ROWS + [("x/1", True, "2024-01-09", 20.0, 8.0, "Small")]
    snap = snap_of(rows, {"m/1": "LlamaForCausalLM", "d/1": "MixtralForCausalLM", "x/1": None})
    by_arch = view.table(snap, params())
    assert sorted(by_arch.loc[by_arch["experts"] == "MoE", "repo_id"]) == ["d/1", "m/2", "m/3"]
    assert "x/1" not in set(by_arch["repo_id"])  # the architecture rule cannot say
    by_flag = view.table(snap, params(rule="flag"))
    assert sorted(by_flag.loc[by_flag["experts"] == "MoE", "repo_id"]) == ["m/1", "m/2", "m/3", "x/1"]
    assert view.rule_caption(by_arch, params()).endswith(
        "disagrees for 2 of these 7 models (1 flagged MoE with a dense architecture, 1 MoE architectures not flagged).")
    assert view.rule_caption(by_flag, params(rule="flag")).startswith(
        "MoE = the leaderboard's MoE flag. The architecture disagrees for 2 of these 8 models")


def test_v1_headline_rests_on_moe_architectures_only(snapshot_dir, shared_data):
    """Defect 7: on v1 the source's MoE flag (inverted back) marks dense models MoE; the default
    comparison counts MoE by architecture, says so, and the manifest counts the disagreements."""
    snap = store.read_snapshot(snapshot_dir, "v1")
    d = view.Params.defaults(snap)
    assert d.rule == "architecture"
    tbl = view.table(snap, d)
    moe_rows = tbl.loc[tbl["experts"] == "MoE"]
    arch = snap.models.set_index("repo_id")["architecture"]
    assert set(arch.loc[moe_rows["repo_id"]]) <= MOE_CLASSES
    # the dense models the issue names: flagged MoE after the inversion, dense in the comparison
    for repo in ("01-ai/Yi-6B", "01-ai/Yi-9B"):
        row = snap.models.loc[snap.models["repo_id"] == repo].iloc[0]
        assert bool(row["moe"]) and row["architecture"] == "LlamaForCausalLM"
        if repo in set(tbl["repo_id"]):
            assert tbl.loc[tbl["repo_id"] == repo, "experts"].item() == "Dense"
    # the manifest's counts, recounted from the source file: v1's MoE column is inverted
    raw = pd.read_csv(shared_data / "open-llm-leaderboard-v1" / "leaderboard.csv", sep=";")
    m = snap.models
    flag, hand = m["moe"].astype("boolean"), hand_moe(m)
    both = flag.notna() & hand.notna()
    manifest = snap.manifest["counts"]
    assert manifest["moe_flag_dense_architecture"] == int((both & flag.fillna(False) & ~hand.fillna(False).astype(bool)).sum())
    assert manifest["moe_architecture_not_flagged"] == int((both & ~flag.fillna(False) & hand.fillna(False).astype(bool)).sum())
    assert manifest["moe_flag_dense_architecture"] > 50 and manifest["moe_architecture_not_flagged"] > 0
    yi = raw.loc[raw["fullname"] == "01-ai/Yi-6B", "MoE"]
    assert not yi.empty and not yi.astype(bool).any()  # stored inverted: False means MoE
    # the figures say which rule they use
    for which in view.FIGURES:
        assert "MoE = a mixture-of-experts architecture" in provenance.drawn_facts(
            view.FIGURE_ROWS[which](tbl, d))["caption"]


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
    monkeypatch.setattr(provenance, "MAX_POINTS", 10)
    tbl = pd.DataFrame({"experts": ["MoE"] * n_moe + ["Dense"] * n_dense,
                        "params_b": np.arange(1.0, n_moe + n_dense + 1), "average": 50.0,
                        "moe_flag": [True] * n_moe + [False] * n_dense,
                        "moe_architecture": [True] * n_moe + [False] * n_dense})
    pts = view.scatter_points(tbl, params())
    assert int((pts["experts"] == "MoE").sum()) == drawn_moe
    assert int((pts["experts"] == "Dense").sum()) == drawn_dense
    facts = provenance.drawn_facts(pts)
    assert facts["counts"] == {"MoE": n_moe, "Dense": n_dense}
    want = [f"{d} of {n} {w} models drawn (a random sample)"
            for d, n, w in ((drawn_moe, n_moe, "MoE"), (drawn_dense, n_dense, "dense")) if d < n]
    rule = (f"MoE = a mixture-of-experts architecture (Mixtral, Qwen2-MoE, DBRX, ...; the list in "
            f"llmtrends/schema.py). The leaderboard's MoE flag disagrees for 0 of these {n_moe + n_dense} models "
            "(0 flagged MoE with a dense architecture, 0 MoE architectures not flagged).")
    assert facts["caption"] == rule + (f" {'; '.join(want)}." if want else "")


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
