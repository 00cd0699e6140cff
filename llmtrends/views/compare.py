"""Compare Models: up to five models on a radar chart over the board's benchmarks.

plotnine has no polar coordinates, so the radar is drawn in plain Cartesian space with
``coord_fixed``: this module computes every coordinate itself.

* Benchmark ``k`` of ``n`` (in the leaderboard's order) is a spoke at the angle
  ``θ_k = 90° − 360°·k/n``: the first benchmark points straight up and the others follow
  clockwise, as on a clock face.
* A model's score ``s`` on that benchmark is the point at radius ``r = s`` (scores are
  percentages, 0–100; a missing score is drawn at the centre, ``r = 0``, and shown as
  missing in the table): ``x = r·cos θ_k``, ``y = r·sin θ_k``.
* The model's polygon joins its points in spoke order (``geom_polygon`` closes it; the
  outline path repeats the first point at the end).
* The grid is the circles ``r = 20, 40, 60, 80, 100`` and the spokes from the centre to
  ``r = 100``; each spoke is labelled with the benchmark's leaderboard name just outside
  the outer circle.

The table (also the CSV) has one row per (model, benchmark) in selection and spoke order,
with the model's average, parameters and type repeated on each of its rows, and its
``difference``: the score minus the mean score of the picked models on that benchmark
(over the models that have one). The second figure draws these differences as bars, one
group per benchmark: where the radar's polygons lie on top of each other (models a point
apart), the bars still show who is ahead where and by how much. :func:`numbers` turns the
table into the one-row-per-model table shown under the charts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from llmtrends import schema
from . import inputs, look, provenance, selection

ID = "compare"
TITLE = "Compare Models"
DESCRIPTION = ("Up to five models on a radar chart over the board's benchmarks: each spoke is a benchmark "
               "(the first at the top, the others clockwise), each model a polygon whose distance from "
               "the centre is its score (circles at 20, 40, 60, 80 and 100). Beside it, each model's "
               "difference from the picked models' mean on every benchmark, which still reads when the "
               "polygons overlap; the numbers are in the table below. By default the board's three "
               "best-scoring models are shown (by its average, or on the hub board by the benchmark with "
               "the most scored models); pick others, or select rows in the Model Explorer.")
FIGURES = ("radar", "differences")
MAX_MODELS = 5
DEFAULT_MODELS = 3
GRID_LEVELS = (20, 40, 60, 80, 100)
LABEL_RADIUS = 116.0  # spoke labels, just outside the outer circle
CIRCLE_POINTS = 120   # points per grid circle (smooth at screen resolution)
# Dark members of the Paired pairs: five models stay apart and readable on white.
MODEL_COLORS = (look.PAIRED[1], look.PAIRED[5], look.PAIRED[3], look.PAIRED[9], look.PAIRED[7])
CSV_COLUMNS = {
    "model": "model repository (namespace/name), in the order picked",
    "benchmark": "benchmark column of the processed table (e.g. arc, ifeval)",
    "benchmark_label": "the benchmark's name on the leaderboard (e.g. ARC, IFEval)",
    "score": "the model's score on the benchmark (empty when the board has none)",
    "angle_deg": "the spoke's angle: 90 - 360 * k / n for benchmark k of n (0 = first)",
    "radius": "distance from the centre: the score, 0 when missing",
    "x": "radius * cos(angle)",
    "y": "radius * sin(angle)",
    "average": "the model's leaderboard average (empty on the hub board, which has none)",
    "params_b": "the model's parameters in billions (empty when unknown)",
    "type": "the model's type",
    "difference": "score minus the mean score of the picked models on this benchmark (empty when missing)",
}


@dataclass(frozen=True)
class Params:
    models: tuple[str, ...]

    @classmethod
    @selection.per_board
    def defaults(cls, snap) -> "Params":
        return cls(models=top_models(snap.models, DEFAULT_MODELS, selection.default_score(snap) or selection.SCORE_AVERAGE))

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        value = raw.get("models")
        if value is None:
            return cls.defaults(snap)
        if not value and not selection.score_counts(snap):  # nothing to pick from: say why, not "pick"
            raise inputs.EmptySelection(selection.no_scores_message(snap.board))
        return cls(models=parse_models(value, snap.models))


def top_models(models: pd.DataFrame, n: int = DEFAULT_MODELS, score: str = selection.SCORE_AVERAGE) -> tuple[str, ...]:
    """The ``n`` best-scoring models (highest ``score``, the average unless given; ties by repo id)."""
    ranked = models.loc[models[score].notna(), ["repo_id", score]]
    ranked = ranked.sort_values([score, "repo_id"], ascending=[False, True], kind="mergesort")
    return tuple(ranked["repo_id"].astype(str).head(n))


def parse_models(value: object, models: pd.DataFrame) -> tuple[str, ...]:
    """Picked repo ids (order kept, repeats dropped): InvalidInput for an unknown id or more
    than five, EmptySelection for none."""
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (tuple, list)):
        raise inputs.InvalidInput("models: expected a list of model ids")
    bad = [v for v in value if not isinstance(v, str)]
    if bad:
        raise inputs.InvalidInput(f"models: {str(bad[0])[:40]!r} is not a model id")
    picked = tuple(dict.fromkeys(value))
    if len(picked) > MAX_MODELS:
        raise inputs.InvalidInput(f"models: {len(picked)} models picked; at most {MAX_MODELS} can be compared")
    known = model_ids(models)
    unknown = [v for v in picked if v not in known]
    if unknown:
        raise inputs.InvalidInput(f"models: {unknown[0][:60]!r} is not a model of this board")
    if not picked:
        raise inputs.EmptySelection("Pick at least one model to compare.")
    return picked


@selection.per_board
def model_ids(models: pd.DataFrame) -> pd.Index:
    """The repo ids of a board's models table, for ``in`` tests (once per board; a pandas
    index, lighter than a set of Python strings on a large board)."""
    return pd.Index(models["repo_id"].astype(str)).unique()


def known_models(models: pd.DataFrame, ids: Sequence[object]) -> tuple[str, ...]:
    """The ids (from another view's selection) that are models of this board, at most five."""
    known = model_ids(models)
    return tuple(v for v in dict.fromkeys(ids) if isinstance(v, str) and v in known)[:MAX_MODELS]


def spoke_angles(n: int) -> np.ndarray:
    """Angles in degrees of ``n`` spokes: 90° − 360°·k/n (first at the top, clockwise)."""
    return 90.0 - 360.0 * np.arange(n) / n


def radar_points(scores: Sequence[float]) -> pd.DataFrame:
    """A polygon's vertices for one model: ``k``, ``angle_deg``, ``radius``, ``x``, ``y``.

    The radius is the score clipped to [0, 100]; a missing score sits at the centre.
    """
    s = pd.Series(scores, dtype="float64")
    angle = spoke_angles(len(s))
    radius = s.clip(0.0, 100.0).fillna(0.0).to_numpy()
    rad = np.deg2rad(angle)
    return pd.DataFrame({"k": np.arange(len(s)), "angle_deg": angle, "radius": radius,
                         "x": radius * np.cos(rad), "y": radius * np.sin(rad)})


def radar_grid(labels: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The radar's grid for the given spoke labels.

    ``circles``: ``level``, ``x``, ``y`` (a closed path per level); ``spokes``: ``x``, ``y``,
    ``xend``, ``yend`` from the centre to r = 100; ``labels``: ``x``, ``y``, ``label``, ``ha``
    (text anchored away from the chart); ``levels``: the level numbers along the first spoke.
    """
    n = len(labels)
    t = np.linspace(0.0, 2.0 * math.pi, CIRCLE_POINTS + 1)
    circles = pd.concat([pd.DataFrame({"level": lvl, "x": lvl * np.cos(t), "y": lvl * np.sin(t)})
                         for lvl in GRID_LEVELS], ignore_index=True)
    rad = np.deg2rad(spoke_angles(n))
    cos, sin = np.cos(rad), np.sin(rad)
    spokes = pd.DataFrame({"x": 0.0, "y": 0.0, "xend": 100.0 * cos, "yend": 100.0 * sin})
    ha = np.where(np.abs(cos) < 0.2, "center", np.where(cos > 0, "left", "right"))
    text = pd.DataFrame({"x": LABEL_RADIUS * cos, "y": LABEL_RADIUS * sin, "label": list(labels), "ha": ha})
    # level numbers just right of the first spoke (which points up)
    levels = pd.DataFrame({"x": 3.0, "y": [float(v) for v in GRID_LEVELS], "label": [str(v) for v in GRID_LEVELS]})
    return {"circles": circles, "spokes": spokes, "labels": text, "levels": levels}


def table(snap, params: Params) -> pd.DataFrame:
    """One row per (picked model, benchmark) with the radar coordinates (see module doc)."""
    if not selection.score_counts(snap):  # every spoke would be empty: say why instead
        raise inputs.EmptySelection(selection.no_scores_message(snap.board))
    bench = [b for b in schema.benchmark_columns(snap.board) if b in snap.models.columns]
    label = schema.benchmark_labels(snap.board)
    rows = snap.models.loc[snap.models["repo_id"].isin(params.models)].drop_duplicates("repo_id")
    rows = rows.set_index(rows["repo_id"].astype(str))
    missing = [m for m in params.models if m not in rows.index]
    if missing:
        raise inputs.InvalidInput(f"models: {missing[0][:60]!r} is not a model of this board")
    if not params.models:
        raise inputs.EmptySelection("Pick at least one model to compare.")
    rows = rows.reindex(list(params.models))
    parts = []
    for model, row in rows.iterrows():
        scores = pd.to_numeric(pd.Series([row[b] for b in bench], dtype="object"), errors="coerce")
        pts = radar_points(scores.astype("float64"))
        parts.append(pd.DataFrame({
            "model": str(model),
            "benchmark": bench,
            "benchmark_label": [label[b] for b in bench],
            "score": scores.astype("float64").to_numpy(),
            "angle_deg": pts["angle_deg"].to_numpy(),
            "radius": pts["radius"].to_numpy(),
            "x": pts["x"].to_numpy(),
            "y": pts["y"].to_numpy(),
            "average": float(row["average"]) if pd.notna(row["average"]) else np.nan,
            "params_b": float(row["params_b"]) if "params_b" in row and pd.notna(row["params_b"]) else np.nan,
            "type": None if pd.isna(row["type"]) else str(row["type"]),
        }))
    out = pd.concat(parts, ignore_index=True)
    out["difference"] = out["score"] - out.groupby("benchmark", sort=False)["score"].transform("mean")
    return provenance.record_shown(out[list(CSV_COLUMNS)], len(params.models))


def numbers(tbl: pd.DataFrame) -> pd.DataFrame:
    """The table beside the chart: one row per model (picked order) with its average (left
    out when none of them has one: the hub board has no average), each benchmark under its
    leaderboard name, parameters and type (scores to two decimals)."""
    # at most five models by six benchmarks: plain loops cost less than a pivot here
    model, label = tbl["model"].tolist(), tbl["benchmark_label"].tolist()
    score = tbl["score"].to_numpy(dtype="float64")
    models, labels = list(dict.fromkeys(model)), list(dict.fromkeys(label))  # the picked order
    cell = {(m, b): s for m, b, s in zip(model, label, score)}
    rows = [model.index(m) for m in models]  # each model's first row
    out = {"Model": models, "Average": np.round(tbl["average"].to_numpy(dtype="float64")[rows], 2)}
    if np.isnan(out["Average"]).all():
        del out["Average"]
    for lbl in labels:
        out[lbl] = np.round(np.array([cell.get((m, lbl), np.nan) for m in models], dtype="float64"), 2)
    out["Params (B)"] = np.round(tbl["params_b"].to_numpy(dtype="float64")[rows], 2)
    out["Type"] = tbl["type"].iloc[rows].to_numpy()
    return pd.DataFrame(out)


def numbers_cells(num: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The table beside the chart as text, ``(header, rows)``: numbers with two decimals, a
    missing one empty. Drawn as a plain HTML table: five rows need no data grid (whose
    payload and drawing were most of going back to a pair of models seen before)."""
    def cell(v) -> str:
        if isinstance(v, (float, np.floating)):
            return "" if np.isnan(v) else f"{v:.2f}"
        return "" if v is None or v is pd.NA else str(v)
    return [str(col) for col in num.columns], [[cell(v) for v in row] for row in num.itertuples(index=False)]


def empty_figure(tbl: pd.DataFrame, params: Params, which: str) -> str | None:
    """Why figure ``which`` has nothing to draw for this table (None when it has): the
    differences need two models with a score on some benchmark."""
    if which == "differences" and tbl.dropna(subset=["score"])["model"].nunique() < 2:
        return "Pick two or more models to see their differences per benchmark."
    return None


def figure(tbl: pd.DataFrame, params: Params, which: str = "radar") -> ggplot:
    """``radar``: one filled polygon per model over the benchmark spokes (see module doc);
    ``differences``: per benchmark, a bar per model from the picked models' mean score."""
    if which == "differences":
        if (why := empty_figure(tbl, params, which)) is not None:
            raise inputs.EmptySelection(why)
        return _differences(tbl)
    if which != "radar":
        raise inputs.InvalidInput(f"figure: unknown plot {which!r}")
    from plotnine import (aes, coord_fixed, geom_path, geom_point, geom_polygon, geom_segment, geom_text, ggplot,
                          labs, scale_color_manual, scale_fill_manual, theme_void)
    models = list(dict.fromkeys(tbl["model"]))
    grid = radar_grid(list(dict.fromkeys(tbl["benchmark_label"])))
    shapes = tbl.assign(model=pd.Categorical(tbl["model"], categories=models))
    # the outline: each polygon's first vertex repeated at its end
    closed = pd.concat([shapes, shapes.groupby("model", observed=True).head(1)], ignore_index=True)
    closed["order"] = closed.groupby("model", observed=True).cumcount()
    closed = closed.sort_values(["model", "order"], kind="mergesort")
    colors = dict(zip(models, MODEL_COLORS))
    labels = grid["labels"]
    # one ggplot plus a list: plotnine copies the whole plot on every "+", once for a list
    return ggplot() + [
        geom_path(aes("x", "y", group="level"), data=grid["circles"], color="#d0d0d0", size=0.4),
        geom_segment(aes("x", "y", xend="xend", yend="yend"), data=grid["spokes"], color="#bdbdbd", size=0.4),
        geom_text(aes("x", "y", label="label"), data=grid["levels"], color="#8a8a8a", size=7, ha="left",
                  va="bottom"),
        geom_text(aes("x", "y", label="label"), data=labels.loc[labels["ha"] == "center"], size=10, ha="center"),
        geom_text(aes("x", "y", label="label"), data=labels.loc[labels["ha"] == "left"], size=10, ha="left"),
        geom_text(aes("x", "y", label="label"), data=labels.loc[labels["ha"] == "right"], size=10, ha="right"),
        geom_polygon(aes("x", "y", fill="model", group="model"), data=shapes, alpha=0.12),
        geom_path(aes("x", "y", color="model", group="model"), data=closed, size=1.0),
        geom_point(aes("x", "y", color="model"), data=shapes, size=2.2),
        scale_fill_manual(values=colors, name="Model"),
        scale_color_manual(values=colors, name="Model"),
        coord_fixed(ratio=1, xlim=(-150, 150), ylim=(-125, 125)),
        labs(title="Benchmark scores"),
        theme_void(base_size=11),
        _theme(),
    ]


def _theme():
    """The look both figures share: a bottom legend of the models, one per line, and room
    around the title (``theme_void`` leaves no margin at the figure's edge)."""
    from plotnine import element_blank, element_text, theme
    return theme(figure_size=(6.4, 5.6), legend_position="bottom", legend_direction="vertical",
                 legend_title=element_blank(), plot_title=element_text(size=13, weight="bold"),
                 legend_text=element_text(size=9), plot_margin=0.02)


def _differences(tbl: pd.DataFrame) -> ggplot:
    """Horizontal bars, one group per benchmark (the first on top) and a bar per model (in
    the picked order, top to bottom): the model's score minus the picked models' mean,
    labelled with its value."""
    from plotnine import (aes, coord_flip, element_blank, geom_col, geom_hline, geom_text, ggplot, labs,
                          position_dodge, scale_fill_manual, scale_x_discrete, scale_y_continuous, theme,
                          theme_minimal)
    models = list(dict.fromkeys(tbl["model"]))
    labels = list(dict.fromkeys(tbl["benchmark_label"]))
    data = tbl.dropna(subset=["difference"]).assign(
        # coord_flip draws the first category at the bottom, so both orders are reversed
        benchmark_label=lambda d: pd.Categorical(d["benchmark_label"], categories=labels[::-1]),
        model=lambda d: pd.Categorical(d["model"], categories=models[::-1]),
        text=lambda d: [f"{v:+.2f}" for v in d["difference"]])
    widest = float(data["difference"].abs().max()) or 1.0
    # each value just past its bar's end (one layer, so that it is dodged as the bars are)
    data["text_at"] = data["difference"] + np.where(data["difference"] >= 0, 1.0, -1.0) * widest * 0.12
    dodge = position_dodge(width=0.85)
    colors = dict(zip(models, MODEL_COLORS))
    return ggplot(data, aes("benchmark_label", "difference", fill="model")) + [
        geom_hline(yintercept=0.0, color="#8a8a8a", size=0.5),
        geom_col(position=dodge, width=0.8),
        geom_text(aes(y="text_at", label="text"), position=dodge, size=7),
        scale_fill_manual(values=colors, breaks=models),
        scale_x_discrete(name=""),
        # room for the value labels at both ends
        scale_y_continuous(name="Score minus the picked models' mean (points)",
                           limits=(-widest * 1.3, widest * 1.3)),
        coord_flip(),
        labs(title="Differences per benchmark"),
        theme_minimal(base_size=11),
        _theme(),
        theme(panel_grid_major_y=element_blank()),
    ]
