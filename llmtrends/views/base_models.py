"""Evolution of Popular Base Models: the staircase of derivatives that beat every earlier one.

For each chosen base model, its derivatives (fine-tunes and chat models; merges excluded
transitively, see :mod:`llmtrends.lineage`) are ordered by the day their repository was
created; a derivative is a *step* when its average score is higher than that of every
earlier derivative. Steps are plotted against the days since the base model's release.

As in the study, the staircase is the running maximum of the *derivatives'* scores: the
base model's own score is not its first step. It is drawn beside them as each family's
reference (a dashed line; ``base_average`` in the CSV), so that a step below the base does
not read as progress; the y axis is either the average score or, as in the study, the
score gained over the base (``Params.y_axis``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from .. import lineage as lin
from . import common as c

ID = "base_models"
TITLE = "Evolution of Popular Base Models"
DESCRIPTION = ("For each base model, the derivatives (fine-tunes and chat models; merges — by type, flag, the "
               "Hub tags merge/mergekit or 'merge' in the name —, models built on merges, and re-uploads of "
               "the base excluded) that scored a higher average than every earlier derivative, by days since "
               "the base model's release, with the base model's own score as a reference. Lineage follows the "
               "declared base models, else the study's name-pattern and size rule. Models without a real "
               "creation date (the Hub's 2022-03-02 placeholder) are left out.")
FIGURES = ("evolution",)
# The y axis: the average score itself, or the score gained over the base model (the study's).
Y_SCORE, Y_GAIN = "score", "gain"
Y_AXES = {Y_SCORE: "Average score", Y_GAIN: "Score gained over the base model (the study's)"}
CSV_COLUMNS = {
    "base_key": "the base model's id (a key of llmtrends/base_models.csv, or its repository id)",
    "base_label": "the base model's name in the legend",
    "release_day": "the family's day 0 (ISO date)",
    "release_source": "where day 0 comes from: hub:<repo> (creation on the Hub), release_date:<url> "
                      "(documented release) or first_derivative (earliest derivative, no other evidence)",
    "base_average": "the base model's own average score on this board: its repository's, or where that is "
                    "not on the board the best of its re-uploads' (empty when neither is)",
    "base_repo": "the repository base_average is the score of (empty when none)",
    "step": "1, 2, ... : the derivative's rank on the staircase",
    "repo_id": "the derivative's repository",
    "label": "the name on the plot: the repository name without its namespace, cut in the middle past "
             "28 characters; whole where two repositories would share a label (with the namespace where "
             "even the names are the same)",
    "type": "the derivative's type",
    "lineage": "how it was tied to the base: declared (base model chain) or name pattern (the study's rule)",
    "created_at": "the derivative's repository creation on the Hub (ISO date)",
    "days_since_release": "created_at - release_day, in whole days",
    "average": "the derivative's average score",
    "previous_best": "the best average of earlier derivatives (empty for the first step)",
    "gain": "average - previous_best (empty for the first step)",
    "gain_over_base": "average - base_average: the study's y axis (empty without a base score)",
    "derivatives": "how many dated derivatives of this base were compared",
}
LABEL_MAX_CHARS = 28
SOURCE_HUB, SOURCE_RELEASE, SOURCE_FIRST = "hub", "release_date", "first_derivative"

@c.per_board
def lineage_of(snap) -> lin.Lineage:
    """The board's lineage, computed once per board (``common.per_board``)."""
    return lin.analyze(snap.models)


@c.per_board
def base_choices(snap) -> dict[str, str]:
    """Every base model with at least one non-merge derivative: key -> 'label (n derivatives)'.

    Known bases (``base_models.csv``) first in the table's order, then other declared bases
    by number of derivatives.
    """
    lineage = lineage_of(snap)
    counts = lin.derivative_counts(snap.models, lineage)
    known = {b.key: b.label for b in lineage.bases}
    out = {k: f"{known[k]} ({counts[k]})" for k in known if k in counts}
    others = sorted((k for k in counts if k not in known), key=lambda k: (-counts[k], k))
    out.update({k: f"{lineage.display_id(k)} ({counts[k]})" for k in others})
    return out


@dataclass(frozen=True)
class Params:
    bases: tuple[str, ...]
    labels: bool = True
    y_axis: str = Y_SCORE

    @classmethod
    @c.per_board
    def defaults(cls, snap) -> "Params":
        """The study's bases for this board that have dated derivatives to plot."""
        lineage = lineage_of(snap)
        keys = []
        for b in lineage.bases:
            if b.default_on(snap.board):
                mask = lin.derivative_mask(snap.models, lineage, b.key)
                if not _dated_scored(snap.models.loc[mask]).empty:
                    keys.append(b.key)
        return cls(bases=tuple(keys))

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        d = cls.defaults(snap)
        values = c.raw_get(raw, "bases", d.bases)
        c.parse_choices(values, base_choices(snap), "base models", empty_message="Choose at least one base model.")
        # valid: keep the user's order (the legend's), without repeats
        bases = tuple(dict.fromkeys((values,) if isinstance(values, str) else values))
        labels = c.parse_bool(c.raw_get(raw, "labels", d.labels), "labels")
        y_axis = c.parse_choice(c.raw_get(raw, "y_axis", d.y_axis), tuple(Y_AXES), "y axis")
        return cls(bases=bases, labels=labels, y_axis=y_axis)


def study_params(snap, params: Params) -> Params:
    """The study's choices for ``scripts/figures.py --study-way``: the score gained over the base."""
    return dataclasses.replace(params, y_axis=Y_GAIN)


def _dated_scored(models: pd.DataFrame) -> pd.DataFrame:
    """Models with a real creation date and a score."""
    frame = c.dated(models)
    return frame.loc[frame["average"].notna()]


def release_day(snap, lineage: lin.Lineage, key: str, derivatives: pd.DataFrame) -> tuple[dt.date, str]:
    """A family's day 0 and where it comes from.

    The earliest of the base repositories' real creation dates on the Hub (never the
    2022-03-02 placeholder) and the documented release date of ``base_models.csv``
    (a re-upload such as huggyllama's Llama 1 is later than the release); without either,
    the first derivative's creation date.
    """
    known = {b.key: b for b in lineage.bases}
    repos = {r.lower() for r in known[key].repo_ids} if key in known else {key}
    rows = c.dated(snap.models.loc[lineage.frame["repo_key"].isin(repos)])
    candidates: list[tuple[dt.date, str]] = []
    if not rows.empty:
        first = rows.sort_values("created_at", kind="mergesort").iloc[0]
        candidates.append((first["created_at"].date(), f"{SOURCE_HUB}:{first['repo_id']}"))
    if key in known and known[key].release_date is not None:
        candidates.append((known[key].release_date, f"{SOURCE_RELEASE}:{known[key].source_url}"))
    if candidates:
        return min(candidates, key=lambda t: t[0])
    return derivatives["created_at"].min().date(), SOURCE_FIRST


def staircase(derivatives: pd.DataFrame) -> pd.DataFrame:
    """The derivatives that beat every earlier one, in creation order.

    Ordered by creation time; among models created at the same moment the best comes
    first, so a tie in time gives one step. A step needs a strictly higher average.
    """
    ordered = derivatives.sort_values(["created_at", "average", "repo_id"], ascending=[True, False, True],
                                      kind="mergesort")
    previous = ordered["average"].cummax().shift(1)
    keep = previous.isna() | (ordered["average"] > previous)
    out = ordered.loc[keep].copy()
    out["previous_best"] = previous.loc[keep]
    return out


def base_score(snap, lineage: lin.Lineage, key: str) -> tuple[float, str | None]:
    """The base model's own average score on the board and the repository it is of: the
    best of the base's repositories, else (the base is not on the board) the best of its
    re-uploads (``TheBloke/Llama-2-70B-fp16`` for Llama 2 70B on v1); NaN and None when
    neither is on the board."""
    known = {b.key: b for b in lineage.bases}
    repos = {r.lower() for r in known[key].repo_ids} if key in known else {key}
    scored = snap.models["average"].notna()
    for mask in (lineage.frame["repo_key"].isin(repos), lin.reupload_mask(lineage, key)):
        rows = snap.models.loc[mask & scored]
        if not rows.empty:
            best = rows.sort_values(["average", "repo_id"], ascending=[False, True], kind="mergesort").iloc[0]
            return float(best["average"]), str(best["repo_id"])
    return float("nan"), None


@c.per_board
def base_steps(snap, key: str) -> pd.DataFrame | None:
    """The staircase rows of one base model (``CSV_COLUMNS`` but ``gain``), with its number of
    dated, scored derivatives in ``derivatives``; None when it has none to plot.

    Computed once per board and base (``common.per_board``), so adding a base to the
    selection computes only that one; callers must not change the frame.
    """
    lineage = lineage_of(snap)
    models = snap.models
    known = {b.key: b for b in lineage.bases}
    label = known[key].label if key in known else lineage.display_id(key)
    mask = lin.derivative_mask(models, lineage, key)
    ders = _dated_scored(models.loc[mask])
    if ders.empty:
        return None
    day0, source = release_day(snap, lineage, key, ders)
    ders = ders.loc[ders["created_at"].dt.normalize() >= pd.Timestamp(day0)]
    if ders.empty:
        return None
    steps = staircase(ders.assign(lineage=lineage.frame.loc[ders.index, "via"]))
    base_avg, base_repo = base_score(snap, lineage, key)
    return pd.DataFrame({
        "base_key": key,
        "base_label": label,
        "release_day": pd.Timestamp(day0),
        "release_source": source,
        "base_average": base_avg,
        "base_repo": base_repo,
        "step": np.arange(1, len(steps) + 1),
        "repo_id": steps["repo_id"].to_numpy(),
        "type": steps["type"].to_numpy(),
        "lineage": steps["lineage"].fillna(lin.VIA_DECLARED).to_numpy(),
        "created_at": steps["created_at"].dt.normalize().to_numpy(),
        "days_since_release": (steps["created_at"].dt.normalize() - pd.Timestamp(day0)).dt.days.to_numpy(),
        "average": steps["average"].to_numpy(),
        "previous_best": steps["previous_best"].to_numpy(),
        "derivatives": len(ders),
    })


def table(snap, params: Params) -> pd.DataFrame:
    """One row per staircase step of every chosen base model (see ``CSV_COLUMNS``)."""
    lineage = lineage_of(snap)
    known = {b.key: b for b in lineage.bases}
    parts, compared, skipped = [], 0, []
    for key in params.bases:
        part = base_steps(snap, key)
        if part is None:
            skipped.append(known[key].label if key in known else lineage.display_id(key))
            continue
        parts.append(part)
        compared += int(part["derivatives"].iloc[0])
    if not parts:
        raise c.EmptySelection("None of the chosen base models has a dated derivative with a score on this "
                               "leaderboard.")
    out = pd.concat(parts, ignore_index=True)  # a new frame: the memoized parts stay as they are
    if params.y_axis == Y_GAIN:
        no_base = out["base_average"].isna()
        skipped_base = list(dict.fromkeys(out.loc[no_base, "base_label"]))
        out = out.loc[~no_base].reset_index(drop=True)
        compared -= sum(int(p["derivatives"].iloc[0]) for p in parts if np.isnan(p["base_average"].iloc[0]))
        if out.empty:
            raise c.EmptySelection("None of the chosen base models has a score of its own on this leaderboard, "
                                   "so there is no gain over the base to show: choose the average score.")
    else:
        skipped_base = []
    out["gain"] = out["average"] - out["previous_best"]
    out["gain_over_base"] = out["average"] - out["base_average"]
    # labels unambiguous over the whole figure: a name shared by two repositories gets its namespace
    out["label"] = c.unique_labels(out["repo_id"].tolist(), LABEL_MAX_CHARS)
    out = out[list(CSV_COLUMNS)]
    out.attrs["skipped"] = skipped
    out.attrs["skipped_no_base"] = skipped_base
    return c.shown(out, compared)


def note(tbl: pd.DataFrame | None) -> str | None:
    """A sentence naming the chosen bases that had nothing to plot (None when all had)."""
    skipped = [] if tbl is None else tbl.attrs.get("skipped", [])
    no_base = [] if tbl is None else tbl.attrs.get("skipped_no_base", [])
    parts = []
    if skipped:
        parts.append("No dated derivative with a score on this leaderboard for: " + ", ".join(skipped) + ".")
    if no_base:
        parts.append("No score of the base model itself (nor of a re-upload) on this leaderboard, so no gain "
                     "over the base, for: " + ", ".join(no_base) + ".")
    return " ".join(parts) or None


def day_breaks(max_days: float) -> int:
    """Tick spacing in days for an x axis reaching ``max_days``: 30, 60, 90 or 180."""
    for step, limit in ((30, 240), (60, 480), (90, 900)):
        if max_days <= limit:
            return step
    return 180


def place_labels(points: pd.DataFrame, x_per_in: float, y_per_in: float,
                 fontsize: float = 7.0, max_tries: int = 6,
                 bounds: tuple[float, float, float, float] | None = None,
                 obstacles: pd.DataFrame | None = None) -> pd.DataFrame:
    """Greedy, deterministic label placement without overlaps (a small adjustText).

    ``points`` has ``x``, ``y`` and ``label``. Each label is tried just above its point,
    just below, on its right then on its left, then a line further up and down
    (staggered), up to ``max_tries`` lines away; the
    first box that overlaps no placed label, no point and no ``obstacles`` point (x, y:
    e.g. samples along the drawn lines), and stays inside ``bounds`` (x0, x1, y0, y1)
    when given, wins. A label with no free slot
    is left out rather than drawn over another. Returns the placed labels (indexed like
    ``points``) with their anchor (``lx``, ``ly`` = the box's vertical middle), alignment
    (``ha``) and whether they moved away from their point (``moved``: draw a leader line).
    """
    char_w = fontsize * 0.6 / 72 * x_per_in
    line_h = fontsize * 1.35 / 72 * y_per_in
    pad_x = 0.04 * x_per_in
    boxes: list[tuple[float, float, float, float]] = []
    pts = points[["x", "y"]].to_numpy(dtype=float)
    if obstacles is not None and len(obstacles):
        pts = np.vstack([pts, obstacles[["x", "y"]].to_numpy(dtype=float)])
    rows = []

    def free(box):
        x0, y0, x1, y1 = box
        if bounds is not None and (x0 < bounds[0] or x1 > bounds[1] or y0 < bounds[2] or y1 > bounds[3]):
            return False
        for b in boxes:
            if x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1:
                return False
        inside = (pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)
        return not inside.any()

    candidates = []  # (alignment, vertical offset in lines): nearest slots first
    for k in range(max_tries):
        for ha in ("left", "right"):
            candidates += [(ha, 0.15 + 1.1 * k), (ha, -1.15 - 1.1 * k)]
    for idx, x, y, text in zip(points.index, points["x"], points["y"], points["label"]):
        width = len(str(text)) * char_w
        placed = None
        for ha, off in candidates:
            ly = y + off * line_h
            lx = x + pad_x if ha == "left" else x - pad_x
            box = (lx, ly, lx + width, ly + line_h) if ha == "left" else (lx - width, ly, lx, ly + line_h)
            if free(box):
                placed = (lx, ly, ha, box)
                break
        if placed is None:
            continue
        boxes.append(placed[3])
        rows.append({"index": idx, "x": x, "y": y, "label": text, "lx": placed[0], "ly": placed[1] + line_h / 2,
                     "ha": placed[2], "moved": abs(placed[1] + line_h / 2 - y) > 1.2 * line_h})
    out = pd.DataFrame(rows, columns=["index", "x", "y", "label", "lx", "ly", "ha", "moved"])
    return out.set_index("index").rename_axis(points.index.name)


def step_path_samples(tbl: pd.DataFrame, dx: float, dy: float, y: str = "average") -> pd.DataFrame:
    """Points every ``dx`` / ``dy`` along each family's drawn staircase (label obstacles)."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for _, fam in tbl.groupby("base_key", sort=False):
        x = fam["days_since_release"].to_numpy(dtype=float)
        yv = fam[y].to_numpy(dtype=float)
        for i in range(len(x) - 1):
            n = max(2, int(abs(x[i + 1] - x[i]) / dx) + 1)
            xs.append(np.linspace(x[i], x[i + 1], n))
            ys.append(np.full(n, yv[i]))
            n = max(2, int(abs(yv[i + 1] - yv[i]) / dy) + 1)
            xs.append(np.full(n, x[i + 1]))
            ys.append(np.linspace(yv[i], yv[i + 1], n))
    if not xs:
        return pd.DataFrame({"x": [], "y": []})
    return pd.DataFrame({"x": np.concatenate(xs), "y": np.concatenate(ys)})


def reference_lines(tbl: pd.DataFrame, params: Params, x_max: float) -> pd.DataFrame:
    """What the figure draws as each family's reference: the base model's own score from
    day 0 to the family's last step (``x``, ``xend``, ``y``, ``base_label``); with the gain
    axis one line at 0 across the plot (``base_label`` empty). No row for a family without
    a base score."""
    if params.y_axis == Y_GAIN:
        return pd.DataFrame({"x": [0.0], "xend": [x_max], "y": [0.0], "base_label": [""]})
    last = tbl.groupby("base_key", sort=False)["days_since_release"].max()
    bases = tbl.drop_duplicates("base_key").dropna(subset=["base_average"])
    return pd.DataFrame({"x": 0.0, "xend": bases["base_key"].map(last).astype(float).to_numpy(),
                         "y": bases["base_average"].astype(float).to_numpy(),
                         "base_label": bases["base_label"].to_numpy()})


def caption(tbl: pd.DataFrame, params: Params) -> str:
    """What the reference lines are, and which families have none."""
    if params.y_axis == Y_GAIN:
        return ("0 = the base model's own score on this board (a re-upload's where the base itself is not "
                "on it); below 0, a derivative scored less than its base.")
    text = ("Dashed lines: each base model's own score on this board (a re-upload's where the base itself is "
            "not on it); a step below its line scored less than the base.")
    missing = list(dict.fromkeys(tbl.loc[tbl["base_average"].isna(), "base_label"]))
    if missing:
        text += " No base score on this board for " + ", ".join(missing) + "."
    return text


FIG_SIZE = (11.0, 7.0)
_PANEL_IN = (9.6, 5.0)  # the plotting area inside FIG_SIZE, for label placement


def figure(tbl: pd.DataFrame, params: Params, which: str = "evolution") -> ggplot:
    """Step lines per family, points at each step, each base's own score, optional labels."""
    from plotnine import (aes, element_text, geom_point, geom_segment, geom_step, geom_text, ggplot,
                          labs, scale_color_manual, scale_x_continuous, scale_y_continuous, theme)
    if which != "evolution":
        raise c.InvalidInput(f"figure: unknown plot {which!r}")
    order = list(dict.fromkeys(tbl["base_label"]))
    y = "gain_over_base" if params.y_axis == Y_GAIN else "average"
    data = tbl.assign(base_label=pd.Categorical(tbl["base_label"], categories=order))
    x_max = float(max(tbl["days_since_release"].max(), 1))
    x_hi = x_max * 1.04
    refs = reference_lines(tbl, params, x_hi)
    values = np.concatenate([tbl[y].to_numpy(dtype=float), refs["y"].to_numpy(dtype=float)])
    y_lo, y_hi = float(np.nanmin(values)), float(np.nanmax(values))
    y_pad = max((y_hi - y_lo) * 0.06, 0.5)
    step = day_breaks(x_max)
    colors = c.color_map(order)
    # one ggplot plus a list: plotnine copies the whole plot on every "+", once for a list
    fig = ggplot(data, aes("days_since_release", y, color="base_label", group="base_label")) + [
        geom_step(direction="hv", size=0.9),
        geom_point(size=2.2),
        scale_color_manual(values=colors, name="Base model",
                           guide=c.legend_guide(order, "Base model", FIG_SIZE[0])),
        scale_x_continuous(breaks=list(range(0, int(x_max) + step, step)),
                           limits=(min(0, float(tbl["days_since_release"].min())), x_hi)),
        labs(x="Days since the base model's release", y=Y_AXES[params.y_axis].replace(" (the study's)", ""),
             title="Best derivative so far, by days since the base model's release",
             caption=c.wrap_text(caption(tbl, params), width_in=FIG_SIZE[0])),
        c.theme_study(),
        theme(figure_size=FIG_SIZE, axis_text_x=element_text(rotation=0, ha="center"))]
    if params.y_axis == Y_GAIN:
        fig += geom_segment(aes(x="x", xend="xend", y="y", yend="y"), data=refs, inherit_aes=False,
                            color="#5d6066", size=0.6)
    elif not refs.empty:
        refs = refs.assign(base_label=pd.Categorical(refs["base_label"], categories=order))
        fig += geom_segment(aes(x="x", xend="xend", y="y", yend="y", color="base_label"), data=refs,
                            inherit_aes=False, linetype="dashed", size=0.6, show_legend=False)
        fig += geom_point(aes(x="x", y="y", color="base_label"), data=refs, inherit_aes=False, shape="D",
                          fill="white", size=2.6, show_legend=False)
    if params.labels:
        x_lo = min(0.0, float(tbl["days_since_release"].min()))
        x_span = x_hi - x_lo
        y_span = (y_hi - y_lo) + 2 * y_pad
        pts = pd.DataFrame({"x": tbl["days_since_release"].astype(float), "y": tbl[y].astype(float),
                            "label": tbl["label"], "base_label": tbl["base_label"]})
        # the best steps first, so the labels that matter most get the free slots
        pts = pts.iloc[np.argsort(-pts["y"].to_numpy(), kind="stable")]
        ref_pts = [pd.DataFrame({"x": np.linspace(r.x, r.xend, 150), "y": r.y}) for r in refs.itertuples()]
        ref_pts = ref_pts or [pd.DataFrame({"x": [], "y": []})]
        placed = place_labels(pts, x_span / _PANEL_IN[0], y_span / _PANEL_IN[1],
                              bounds=(x_lo - 0.03 * x_span, x_hi + 0.03 * x_span, y_lo - y_pad, y_hi + y_pad),
                              obstacles=pd.concat([step_path_samples(tbl, x_span / 150, y_span / 60, y),
                                                   *ref_pts], ignore_index=True))
        placed["base_label"] = pd.Categorical(pts.loc[placed.index, "base_label"], categories=order)
        moved = placed.loc[placed["moved"]]
        if not moved.empty:
            fig += geom_segment(aes(x="x", y="y", xend="lx", yend="ly", color="base_label"), data=moved,
                                inherit_aes=False, size=0.3, alpha=0.6, show_legend=False)
        for ha in ("left", "right"):
            part = placed.loc[placed["ha"] == ha]
            if not part.empty:
                fig += geom_text(aes(x="lx", y="ly", label="label", color="base_label"), data=part,
                                 inherit_aes=False, ha=ha, va="center", size=7, show_legend=False)
    # fixed limits, so that the label placement (in data units) matches the drawing
    fig += scale_y_continuous(limits=(y_lo - y_pad, y_hi + y_pad))
    return fig
