"""The study's figures, checked against its rules (issue 22): one test per defect on the real
v1 data, the expected values worked out here from the source files or the snapshot with
plain pandas; the rules that differ from the study's by hand; ``--study-way``.

(Defect 4, cut legends, is tests/test_figure_text.py; defect 7, MoE flags, is
tests/test_view_moe.py::test_v1_headline_rests_on_moe_architectures_only.)
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import architecture_popularity, author_activity, base_models, score_trends, type_popularity
from llmtrends.views import inputs, look, periods, selection

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def v1(snapshot_dir):
    return store.read_snapshot(snapshot_dir, "v1")


def leaderboard_best(shared_data: Path) -> dict[str, float]:
    """The best Average per repository of v1's leaderboard.csv (flagged rows kept: none of
    the bases is flagged), read with the csv module."""
    best: dict[str, float] = {}
    with open(shared_data / "open-llm-leaderboard-v1" / "leaderboard.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            avg = float(row["Average ⬆️"])
            best[row["fullname"]] = max(best.get(row["fullname"], -1.0), avg)
    return best


def layer_data(fig, geom: str) -> list[pd.DataFrame]:
    """The data of the figure's layers drawn with ``geom`` (e.g. ``geom_rect``): the layer's
    own, else the plot's."""
    return [fig.data if layer.geom.data is None else layer.geom.data
            for layer in fig.layers if type(layer.geom).__name__ == geom]


# --------------------------------------------------------------------------- 1. merges


def test_1_base_model_staircases_hold_no_merge(v1, shared_data):
    """No step of the default v1 staircases is tagged merge/mergekit on the Hub or named
    "merge" -- the tags read from hub_models.csv itself."""
    tagged = set()
    with open(shared_data / "open-llm-leaderboard-v1" / "hub_models.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            tags = ast.literal_eval(row["tags"]) if row["tags"] else []
            if {"merge", "mergekit"} & {str(t).lower() for t in tags}:
                tagged.add(row["name"].lower())
    assert len(tagged) > 1000
    params = base_models.Params.defaults(v1)
    tbl = base_models.steps(base_models.table(v1, params))
    steps = {r.lower() for r in tbl["repo_id"]}
    assert not steps & tagged, steps & tagged
    assert not [r for r in steps if "merge" in r]
    mistral = tbl.loc[tbl["base_key"] == "mistral_7b", "repo_id"].tolist()
    phi2 = tbl.loc[tbl["base_key"] == "phi2", "repo_id"].tolist()
    # the steps the issue found: a merge by name (Mistral's best) and one tagged mergekit (Phi-2's)
    assert "chlee10/T3Q-Merge-Mistral7B" not in mistral and "zelus82/obelix-phi2" in tagged
    assert "zelus82/Obelix-Phi2" not in phi2
    assert len(mistral) >= 10 and len(phi2) >= 2


# --------------------------------------------------------------------------- 2. reference


def test_2_each_family_draws_its_base_score_and_the_gain_axis(v1, shared_data):
    best = leaderboard_best(shared_data)
    params = base_models.Params.defaults(v1)
    assert params.y_axis == "score"
    tbl = base_models.steps(base_models.table(v1, params))
    bases = tbl.drop_duplicates("base_key").set_index("base_key")
    assert bases.loc["mistral_7b", "base_average"] == best["mistralai/Mistral-7B-v0.1"] == 60.97
    # Llama 2 70B itself is not on v1: its re-upload stands in, and is no derivative
    assert "meta-llama/Llama-2-70b-hf" not in best
    assert bases.loc["llama2_70b", "base_repo"] == "TheBloke/Llama-2-70B-fp16"
    assert bases.loc["llama2_70b", "base_average"] == best["TheBloke/Llama-2-70B-fp16"]
    assert "TheBloke/Llama-2-70B-fp16" not in set(tbl["repo_id"])
    # the figure draws each base's score as a dashed line in its family's colour
    fig = base_models.figure(tbl, params)
    refs = next(d for d in layer_data(fig, "geom_segment") if "xend" in d and d["x"].eq(0).all())
    drawn = dict(zip(refs["base_label"].astype(str), refs["y"]))
    assert drawn["Mistral 7B"] == 60.97 and drawn["Llama 2 70B"] == best["TheBloke/Llama-2-70B-fp16"]
    assert set(drawn) == set(bases["base_label"])
    # Mistral's first three steps are below its base: the gain axis shows them below 0
    mistral = tbl.loc[tbl["base_key"] == "mistral_7b"]
    below = (mistral["average"] < 60.97).to_numpy()
    assert below[:3].all() and not below[3:].any()
    gain = base_models.steps(base_models.table(v1, base_models.Params(bases=params.bases, y_axis="gain")))
    g = gain.loc[gain["base_key"] == "mistral_7b", "gain_over_base"].to_numpy()
    assert g[0] == pytest.approx(54.96 - 60.97) and (g[:3] < 0).all()
    assert base_models.Params.from_inputs({"y_axis": "gain"}, v1).y_axis == "gain"
    with pytest.raises(inputs.InvalidInput):
        base_models.Params.from_inputs({"y_axis": "log"}, v1)


def test_2_a_reupload_of_the_base_is_not_a_derivative():
    # made-up models: a re-upload (the base's name with a format suffix) and a real fine-tune
    models = pd.DataFrame({
        "repo_id": ["org/Base-7B-hf", "copier/Base-7B-fp16", "copier/Base-7B-GPTQ", "tuner/Base-7B-chat"],
        "type": [schema.TYPE_PRETRAINED, schema.TYPE_FINETUNED, schema.TYPE_FINETUNED, schema.TYPE_CHAT],
        "average": [50.0, 50.1, 49.0, 55.0],
        "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-10"]),
        "created_at_placeholder": False,
        "base_model": [None, "org/Base-7B-hf", "org/Base-7B-hf", "org/Base-7B-hf"],
    })
    snap = store.Snapshot(board="v2", models=models, commit_authors=None, manifest={})
    tbl = base_models.steps(base_models.table(snap, base_models.Params(bases=("org/base-7b-hf",))))
    assert tbl["repo_id"].tolist() == ["tuner/Base-7B-chat"]
    assert tbl["derivatives"].tolist() == [1] and tbl["base_average"].tolist() == [50.0]


# --------------------------------------------------------------------------- 3. shares


def test_3_shares_are_bars_with_no_bar_for_an_empty_week(v1):
    params = type_popularity.Params.defaults(v1)
    tbl = type_popularity.table(v1, params)
    fig = type_popularity.figure(tbl, params, "shares")
    assert not layer_data(fig, "geom_ribbon") and not layer_data(fig, "geom_area")
    bars = pd.concat(layer_data(fig, "geom_rect"))
    # weekly counts (Monday weeks) recounted from the snapshot
    m = v1.models
    m = m[m["type"].notna() & m["created_at"].notna() & ~m["created_at_placeholder"].astype(bool)]
    week = m["created_at"].dt.to_period("W-SUN").dt.start_time
    per_week = week.value_counts()
    all_weeks = pd.period_range(week.min(), pd.Timestamp(params.end), freq="W-SUN").start_time
    empty = set(all_weeks) - set(per_week.index)
    assert len(empty) > 10  # 2022 has many weeks without a model
    assert not empty & set(bars["period"])
    # every week with models is a full-height stack: its shares sum to 1
    tops = bars.groupby("period")["ymax"].max()
    assert set(tops.index) == set(per_week.index)
    assert np.allclose(tops.to_numpy(), 1.0)


# --------------------------------------------------------------------------- 5. partial periods


def test_5_a_one_day_last_week_sets_no_scale(v1):
    params = architecture_popularity.Params.defaults(v1)
    assert params.end == dt.date(2024, 4, 15) and params.end.weekday() == 0  # a Monday
    tbl = architecture_popularity.table(v1, params)
    last = pd.Timestamp(params.end)
    assert tbl.loc[tbl["partial"], "period"].unique().tolist() == [last]
    assert tbl.loc[tbl["period"] == last, ["change_vs_previous", "change_vs_mean",
                                           "change_vs_previous_smooth", "change_vs_mean_smooth"]].isna().all().all()
    # the y scale the panels share is that of the whole weeks, recomputed here: weekly counts
    # per family, the one-day week dropped, differences, 5-week centred means
    m = v1.models
    m = m[m["created_at"].notna() & ~m["created_at_placeholder"].astype(bool) & m["architecture_family"].notna()]
    wide = pd.crosstab(m["created_at"].dt.to_period("W-SUN").dt.start_time, m["architecture_family"])
    wide = wide.reindex(pd.period_range(wide.index.min(), last, freq="W-SUN").start_time, fill_value=0)
    whole = wide.iloc[:-1].astype(float)
    smooth = whole.diff().rolling(5, center=True, min_periods=1).mean()
    fig = architecture_popularity.figure(tbl, params, "vs_previous")
    plt = render.pyplot()
    mfig = fig.draw()
    try:
        mfig.draw_without_rendering()
        lows, highs = zip(*(ax.get_ylim() for ax in mfig.axes))
    finally:
        plt.close(mfig)
    drawn = fig.data["value"]
    assert drawn.min() == pytest.approx(float(np.nanmin(smooth.to_numpy())))
    assert drawn.max() == pytest.approx(float(np.nanmax(smooth.to_numpy())))
    assert len(set(lows)) == 1 and lows[0] > -33.0  # the partial week's -33 set it before
    # the same week is drawn faded, and named, on type popularity
    tp = type_popularity.Params.defaults(v1)
    ttbl = type_popularity.table(v1, tp)
    assert ttbl.loc[ttbl["partial"], "period"].unique().tolist() == [last]
    tfig = type_popularity.figure(ttbl, tp, "counts")
    faded = [layer.geom for layer in tfig.layers if layer.geom.aes_params.get("alpha") == type_popularity.PARTIAL_ALPHA]
    assert len(faded) == 1 and set(faded[0].data["period"]) == {last}
    assert "week starting 15 Apr 2024" in tfig.labels.get("caption", "").replace("\n", " ")


def test_5_partial_periods_by_hand():
    weeks = pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"])  # Mondays
    # a range from Wednesday 3 Jan to Monday 15 Jan, models created from 1 Jan on
    got = periods.partial_periods(weeks, dt.date(2024, 1, 3), dt.date(2024, 1, 15), "week", dt.date(2024, 1, 1))
    assert got.tolist() == [True, False, True]
    # the range starts on the board's first day: nothing was created before, the week is whole
    got = periods.partial_periods(weeks, dt.date(2024, 1, 3), dt.date(2024, 1, 21), "week", dt.date(2024, 1, 3))
    assert got.tolist() == [False, False, False]
    months = pd.to_datetime(["2024-01-01", "2024-02-01"])
    assert periods.partial_periods(months, dt.date(2024, 1, 1), dt.date(2024, 2, 28), "month").tolist() == [False, True]
    assert periods.partial_periods(months, dt.date(2024, 1, 1), dt.date(2024, 2, 29), "month").tolist() == [False, False]


# --------------------------------------------------------------------------- 6. labels


def test_6_step_labels_are_unambiguous(v1):
    params = base_models.Params.defaults(v1)
    tbl = base_models.steps(base_models.table(v1, params))
    assert tbl["label"].is_unique
    for repo, label in zip(tbl["repo_id"], tbl["label"]):
        name = repo if "/" in label else repo.split("/", 1)[1]
        head, cut, tail = label.partition("…")
        # a name cut in the middle to 28 characters, or a whole name, or a whole id
        assert (name.startswith(head) and name.endswith(tail) and len(label) == base_models.LABEL_MAX_CHARS) \
            if cut else label == name
    mixtral = dict(zip(tbl["repo_id"], tbl["label"]))
    a, b = mixtral["mistralai/Mixtral-8x7B-Instruct-v0.1"], mixtral["cloudyu/Mixtral-8x7B-Instruct-v0.1-DPO"]
    assert a != b and not a.startswith("Mixtral-8x7B-Instruct-v…")
    # the names drawn on the figure are those labels, none twice
    fig = base_models.figure(tbl, params)
    drawn = pd.concat(d for d in layer_data(fig, "geom_text"))["label"]
    assert drawn.is_unique and set(drawn) <= set(tbl["label"])


# --------------------------------------------------------------------------- 8. trend lines


def test_8_no_trend_line_through_a_few_dozen_models(v1):
    params = score_trends.Params.defaults(v1)
    tbl = score_trends.table(v1, params)
    m = v1.models
    m = m[m["created_at"].notna() & ~m["created_at_placeholder"].astype(bool) & m["average"].notna()
          & m["type"].notna()]
    sizes = m["type"].value_counts()
    assert sizes[schema.TYPE_CONTINUOUS] < 100 <= sizes[schema.TYPE_PRETRAINED]
    fig = score_trends.figure(tbl, params, "scores")
    smoothed = set(pd.concat(layer_data(fig, "geom_smooth"))["type"].astype(str))
    assert smoothed == {t for t, n in sizes.items() if n >= score_trends.MIN_TREND_MODELS}
    caption = fig.labels.get("caption", "").replace("\n", " ")
    assert "loess (span 0.75) for each type with at least 100 models" in caption
    assert f"No line for {schema.TYPE_CONTINUOUS} ({sizes[schema.TYPE_CONTINUOUS]} models)" in caption


# --------------------------------------------------------------------------- the study's rules


def test_sunday_weeks_by_hand():
    days = pd.Series(pd.to_datetime(["2024-04-13", "2024-04-14", "2024-04-15"]))  # Sat, Sun, Mon
    assert periods.period_start(days, "week").dt.strftime("%m-%d").tolist() == ["04-08", "04-08", "04-15"]
    assert periods.period_start(days, "week", periods.SUNDAY).dt.strftime("%m-%d").tolist() == ["04-07", "04-14", "04-14"]
    starts = periods.all_periods(dt.date(2024, 4, 13), dt.date(2024, 4, 30), "week", periods.SUNDAY)
    assert starts.strftime("%m-%d").tolist() == ["04-07", "04-14", "04-21", "04-28"]
    assert periods.week_start("study") == periods.SUNDAY and periods.week_start("llmtrends") == periods.MONDAY


def test_study_author_ranking_by_hand():
    # made-up board: "big" has ten repositories, one of them in January; "busy" three, all in it.
    rows = [(f"big/r{i}", "2023-06-01" if i else "2024-01-05") for i in range(10)]
    rows += [(f"busy/r{i}", f"2024-01-0{i + 1}") for i in range(3)]
    models = pd.DataFrame(rows, columns=["repo_id", "created_at"])
    models["created_at"] = pd.to_datetime(models["created_at"])
    models["namespace"] = models["repo_id"].str.split("/").str[0]
    models["created_at_placeholder"] = False
    snap = store.Snapshot(board="v2", models=models, commit_authors=None, manifest={})
    jan = (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    # llmtrends: repositories in the range (busy 3, big 1); the study: all-time x in range (big 10, busy 9)
    assert author_activity.top_authors(snap, *jan) == ["busy", "big"]
    assert author_activity.top_authors(snap, *jan, rules="study") == ["big", "busy"]


def test_penalized_spline_by_hand():
    x = np.linspace(0.0, 100.0, 400)
    # a straight line has no second differences to penalise: fitted exactly
    line = look.penalized_spline(pd.DataFrame({"x": x, "y": 3.0 + 0.5 * x}), [0.0, 50.0, 100.0], {"se": False})
    assert line["y"].to_numpy() == pytest.approx([3.0, 28.0, 53.0], abs=1e-6)
    # a smooth curve under noise: the fit stays close to the curve
    rng = np.random.default_rng(1)
    truth = np.sin(x / 15.0) * 10.0
    fit = look.penalized_spline(pd.DataFrame({"x": x, "y": truth + rng.normal(0, 2.0, len(x))}), x, {"se": False})
    assert float(np.sqrt(np.mean((fit["y"].to_numpy() - truth) ** 2))) < 0.8
    assert look.study_smoother([999, 20]) == "loess" and look.study_smoother([1000, 20]) is look.penalized_spline


def test_study_architecture_changes_by_hand():
    # made-up models; 2024-01-07 is a Sunday: in the study's weeks it opens the second week
    rows = [("a/1", "A", "2024-01-01"), ("a/2", "A", "2024-01-07"), ("a/3", "A", "2024-01-08"),
            ("b/1", "B", "2024-01-09")]
    models = pd.DataFrame(rows, columns=["repo_id", "architecture_family", "created_at"])
    models["created_at"] = pd.to_datetime(models["created_at"])
    models["created_at_placeholder"] = False
    snap = store.Snapshot(board="v1", models=models, commit_authors=None, manifest={})
    p = architecture_popularity.Params(start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 13), families=("A", "B"),
                                       rules="study")
    tbl = architecture_popularity.table(snap, p)
    a = tbl.loc[tbl["family"] == "A"]
    assert a["period"].dt.strftime("%m-%d").tolist() == ["12-31", "01-07"]
    assert a["new_models"].tolist() == [1, 2]
    # R's lag(default = 0): the first period's change is its count; nothing is partial
    assert a["change_vs_previous"].tolist() == [1.0, 1.0] and not tbl["partial"].any()


def test_figures_script_study_way(snapshot_dir, tmp_path):
    views = "type_popularity,author_activity,score_trends,base_models"
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "figures.py"), "--board", "v1", "--data",
                           str(snapshot_dir), "--out", str(tmp_path), "--format", "png", "--dpi", "40",
                           "--jobs", "1", "--views", views, "--study-way"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    record = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    assert record["rules"] == "study"
    params = {e["view"]: e["params"] for e in record["figures"]}
    assert params["type_popularity"]["rules"] == params["score_trends"]["rules"] == "study"
    assert params["base_models"]["y_axis"] == "gain"
    snap = store.read_snapshot(snapshot_dir, "v1")
    first, last = selection.date_bounds(snap.models)
    assert params["author_activity"]["authors"] == author_activity.top_authors(snap, first, last, rules="study")
    weeks = pd.to_datetime(pd.read_csv(tmp_path / "type_popularity.csv")["period"])
    assert (weeks.dt.day_of_week == 6).all()  # Sundays
    authors = pd.read_csv(tmp_path / "author_activity.csv")
    assert (pd.to_datetime(authors["period"]).dt.day_of_week == 6).all()
    assert (authors["rank_score"] >= authors["author_models"]).all()
