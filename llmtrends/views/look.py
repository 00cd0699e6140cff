"""The study's look: colours, theme, legends, text fitting, smoothers, axes.

What a figure needs to look like the study's R app (ggplot2 defaults, the Paired
palette, mgcv's smoother), and to fit its legends and captions in the figure's width.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import geom_smooth, scale_x_datetime, theme

from llmtrends import schema
from llmtrends.pipeline import providers


# ColorBrewer "Paired" (12 colours), the study's palette.
PAIRED = ("#A6CEE3", "#1F78B4", "#B2DF8A", "#33A02C", "#FB9A99", "#E31A1C",
          "#FDBF6F", "#FF7F00", "#CAB2D6", "#6A3D9A", "#FFFF99", "#B15928")
FIG_WIDTH_IN = 10.0
FIG_HEIGHT_IN = 5.5


def color_map(levels: Sequence[str]) -> dict[str, str]:
    """Stable Paired colours for a list of levels (cycled past twelve)."""
    return {lvl: PAIRED[i % len(PAIRED)] for i, lvl in enumerate(levels)}


TYPE_COLORS = color_map(schema.TYPE_LABELS)
# Size classes with their bounds, for legends and axes (bounds from schema, one source).
SIZE_LABELS: dict[str, str] = {
    schema.SIZE_SMALL: f"Small (≤ {schema.SIZE_SMALL_MAX_B:g}B)",
    schema.SIZE_MEDIUM: f"Medium ({schema.SIZE_SMALL_MAX_B:g}–{schema.SIZE_MEDIUM_MAX_B:g}B)",
    schema.SIZE_LARGE: f"Large (> {schema.SIZE_MEDIUM_MAX_B:g}B)",
}
# The dark members of three Paired pairs, so the three classes stay apart.
SIZE_COLORS: dict[str, str] = dict(zip(schema.SIZE_CLASSES, (PAIRED[1], PAIRED[3], PAIRED[5])))
# Two contrasting Paired colours for two-group comparisons (MoE vs dense, official vs community).
TWO_GROUP_COLORS: tuple[str, str] = (PAIRED[7], PAIRED[1])
# Official providers vs community, the same colours in every view that splits them.
PROVIDER_COLORS: dict[str, str] = dict(zip(providers.PROVIDER_GROUPS, TWO_GROUP_COLORS))


def number_labels(values: Sequence[float]) -> list[str]:
    """Short tick labels for log axes: 0.01, 0.1, 1, 10, 100, 1k (no scientific notation)."""
    out = []
    for v in values:
        if v >= 1000:
            out.append(f"{v / 1000:g}k")
        else:
            out.append(f"{v:g}")
    return out


def theme_study(legend: str = "bottom") -> theme:
    """The study's minimal look, with room for legends and rotated month labels."""
    from plotnine import element_text, theme, theme_minimal
    return theme_minimal(base_size=11) + theme(
        figure_size=(FIG_WIDTH_IN, FIG_HEIGHT_IN),
        legend_position=legend,
        legend_title=element_text(size=10),
        axis_text_x=element_text(rotation=45, ha="right"),
        plot_title=element_text(size=13, weight="bold"),
    )


# Text sizes of theme_study (theme_minimal(base_size=11): legend text and caption 0.8 x 11).
LEGEND_TEXT_PT = 8.8
LEGEND_TITLE_PT = 10.0
CAPTION_PT = 8.8
# A legend entry besides its text: the key (17.3 pt) and the gaps around it (measured on
# drawn legends, rounded up); the figure's margins on each side.
_LEGEND_ENTRY_PT = 27.0
_LEGEND_TITLE_GAP_PT = 12.0
_FIGURE_MARGIN_PT = 14.0
# Agg draws hinted text up to ~9 % wider than the outlines' width: estimates add 12 %.
_RASTER_WIDEN = 1.12


@functools.lru_cache(maxsize=4096)
def text_width_pt(text: str, size_pt: float) -> float:
    """How wide ``text`` is drawn in the figures' font at ``size_pt`` points (a little more,
    never less: see ``_RASTER_WIDEN``). For laying out legends and captions so that none
    is wider than its figure."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    width, _, _ = TextToPath().get_text_width_height_descent(text, FontProperties(size=size_pt), ismath=False)
    return float(width) * _RASTER_WIDEN


def legend_rows(labels: Sequence[str], title: str = "", width_in: float = FIG_WIDTH_IN) -> int:
    """The fewest rows a legend under the plot needs to fit the figure's width.

    plotnine lays a legend of ``nrow`` rows out column by column, its title on the left,
    and never wraps it by itself: a row wider than the figure is cut at both edges (seven
    type labels in one row need ~12 in on a 10 in figure).
    """
    labels = [str(x) for x in labels]
    if not labels:
        return 1
    room = width_in * 72.0 - 2 * _FIGURE_MARGIN_PT
    room -= text_width_pt(title, LEGEND_TITLE_PT) + _LEGEND_TITLE_GAP_PT if title else 0.0
    widths = [_LEGEND_ENTRY_PT + text_width_pt(x, LEGEND_TEXT_PT) for x in labels]
    for nrow in range(1, len(labels)):
        columns = [max(widths[i:i + nrow]) for i in range(0, len(widths), nrow)]
        if sum(columns) <= room:
            return nrow
    return len(labels)


def legend_guide(labels: Sequence[str], title: str = "", width_in: float = FIG_WIDTH_IN, **kwargs):
    """``guide_legend`` with as many rows as :func:`legend_rows` says (other arguments as given)."""
    from plotnine import guide_legend
    return guide_legend(nrow=legend_rows(labels, title, width_in), **kwargs)


def wrap_text(text: str, size_pt: float = CAPTION_PT, width_in: float = FIG_WIDTH_IN) -> str:
    """``text`` broken into lines (at spaces; its own line breaks kept) that fit the figure's
    width at ``size_pt``: plotnine draws a caption on one line, however long."""
    room = width_in * 72.0 - 2 * _FIGURE_MARGIN_PT
    out: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width_pt(candidate, size_pt) > room:
                out.append(line)
                line = word
            else:
                line = candidate
        out.append(line)
    return "\n".join(out)


def middle_cut(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` in the middle (head … tail), so that names sharing a
    long prefix (``Mixtral-8x7B-Instruct-v0.1`` and ``...-v0.1-DPO``) keep their ends apart."""
    if len(text) <= max_chars:
        return text
    tail = (max_chars - 1) // 3
    head = max_chars - 1 - tail
    return text[:head] + "…" + text[len(text) - tail:]


def unique_labels(repo_ids: Sequence[str], max_chars: int) -> list[str]:
    """Short, unambiguous labels of repositories: the name without its namespace, cut in the
    middle to ``max_chars``; where two different repositories would get the same label,
    both get their whole name, and where even those are the same (one name in two
    namespaces), their whole id."""
    ids = [str(r) for r in repo_ids]
    stages = (lambda r: middle_cut(r.split("/", 1)[-1], max_chars),
              lambda r: r.split("/", 1)[-1],
              lambda r: r)
    labels = [stages[0](r) for r in ids]
    for stage in stages[1:]:
        owners: dict[str, set[str]] = {}
        for r, lab in zip(ids, labels):
            owners.setdefault(lab, set()).add(r)
        clash = {lab for lab, rs in owners.items() if len(rs) > 1}
        if not clash:
            break
        labels = [stage(r) if lab in clash else lab for r, lab in zip(ids, labels)]
    return labels


def smooth(**kwargs) -> geom_smooth:
    """``geom_smooth(**kwargs)`` with a ``method_args`` dict of its own.

    plotnine's loess writes its span into ``method_args``, whose default is one dict shared
    by every ``geom_smooth``: after a loess trend, a linear one drawn later in the same
    process fails ("method arguments could not be recognised: ['span']"). Copying the
    plot on every "+" used to hide this; figures are now built with one copy.
    """
    from plotnine import geom_smooth
    kwargs.setdefault("method_args", {})
    return geom_smooth(**kwargs)


def linear_trend(data: pd.DataFrame, xseq, params=None, **kwargs) -> pd.DataFrame:
    """A straight line fitted by least squares, as a ``geom_smooth`` method (plotnine 0.15
    passes the stat's parameters as one dict, 0.14 as keywords).

    The same line as plotnine's ``method="lm"`` without a confidence band (ordinary least
    squares of ``y`` on ``x`` with an intercept; that method ignores the weights too), but
    fitted with numpy: ``"lm"`` imports ``statsmodels.api`` and with it most of scipy,
    about a second of a figure worker's start and tens of MB, for two coefficients.
    """
    params = kwargs if params is None else params
    if params.get("se"):
        raise ValueError("linear_trend draws no confidence band: use se=False")
    x = data["x"].to_numpy(dtype=float)
    design = np.column_stack([np.ones_like(x), x])
    (intercept, slope), *_ = np.linalg.lstsq(design, data["y"].to_numpy(dtype=float), rcond=None)
    xs = np.asarray(xseq, dtype=float)
    return pd.DataFrame({"x": xs, "y": intercept + slope * xs})


# ggplot2's geom_smooth() without a method (the study's) fits loess when every group has
# fewer than 1,000 points and otherwise a GAM, y ~ s(x, bs = "cs"), for all groups alike.
STUDY_GAM_FROM = 1000
SPLINE_BASIS = 10  # mgcv's default basis dimension (k = 10)


def study_smoother(group_sizes: Iterable[int]) -> object:
    """The ``geom_smooth`` method ggplot2 would pick for groups of these sizes: ``"loess"``,
    or :func:`penalized_spline` (plotnine has no GAM) when a group has 1,000 points or more."""
    return penalized_spline if max(group_sizes, default=0) >= STUDY_GAM_FROM else "loess"


def penalized_spline(data: pd.DataFrame, xseq, params) -> pd.DataFrame:
    """A penalized cubic regression spline, as a ``geom_smooth`` method: the study's GAM.

    ggplot2 fits ``mgcv::gam(y ~ s(x, bs = "cs"), method = "REML")`` to groups of 1,000
    points or more. plotnine offers no GAM (its methods are lm, ols, wls, rlm, glm, gls,
    lowess, loess, mavg and gpr), so this fits the closest thing numpy and scipy give: the
    same basis size (10 cubic B-splines on equally spaced knots),
    a second-difference penalty on their coefficients (a P-spline, the discrete form of
    mgcv's curvature penalty) and the smoothing weight that minimises generalized
    cross-validation (mgcv's other criterion) over a grid of 10^-4 ... 10^8. No band.
    """
    from scipy.interpolate import BSpline

    if params.get("se"):
        raise ValueError("penalized_spline draws no confidence band: use se=False")
    x = data["x"].to_numpy(dtype=float)
    y = data["y"].to_numpy(dtype=float)
    lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        raise ValueError("penalized_spline needs at least two distinct x values")
    # equally spaced knots running past the data's range (Eilers and Marx's P-splines): the
    # coefficients of a straight line then have no second differences, so it is not penalised
    degree = 3
    segments = SPLINE_BASIS - degree
    step = (hi - lo) / segments
    knots = lo + step * np.arange(-degree, segments + degree + 1)
    basis = BSpline.design_matrix(np.clip(x, lo, hi), knots, degree).toarray()
    diff = np.diff(np.eye(SPLINE_BASIS), n=2, axis=0)
    penalty = diff.T @ diff
    gram, rhs, n = basis.T @ basis, basis.T @ y, len(y)
    best = None
    for lam in 10.0 ** np.arange(-4.0, 8.5, 0.5):
        inv = np.linalg.pinv(gram + lam * penalty)
        coef = inv @ rhs
        rss = float(np.sum((y - basis @ coef) ** 2))
        edf = float(np.trace(inv @ gram))  # trace of the hat matrix
        if edf >= n:
            continue
        gcv = n * rss / (n - edf) ** 2
        if best is None or gcv < best[0]:
            best = (gcv, coef)
    if best is None:
        raise ValueError("penalized_spline: too few points for the basis")
    xs = np.asarray(xseq, dtype=float)
    ys = BSpline.design_matrix(np.clip(xs, lo, hi), knots, degree).toarray() @ best[1]
    return pd.DataFrame({"x": xs, "y": ys})


def message_figure(text: str, title: str, width_in: float = FIG_WIDTH_IN, height_in: float = FIG_HEIGHT_IN):
    """A blank figure with a title and one sentence, for a plot with nothing to draw while
    the view's other plot has (the page and the downloads show why it is blank)."""
    from plotnine import annotate, ggplot, labs, theme, theme_void
    return (ggplot() + annotate("text", x=0, y=0, label=wrap_text(text, 12.0, width_in * 0.9), size=12,
                                color="#555555")
            + labs(title=title) + theme_void()
            + theme(figure_size=(width_in, height_in)))


def month_axis(start: dt.date, end: dt.date, minor: bool = True) -> scale_x_datetime:
    """Month labels on the x axis, thinned so that at most ~14 ticks show (``minor=False``:
    no minor breaks, for small panels)."""
    from plotnine import scale_x_datetime
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = max(1, -(-months // 14))
    extra = {} if minor else {"minor_breaks": []}
    if months <= 2:
        return scale_x_datetime(date_breaks="1 week", date_labels="%d %b %Y", **extra)
    return scale_x_datetime(date_breaks=f"{step} months", date_labels="%b %Y", **extra)
