"""Render plotnine figures to bytes (matplotlib's Agg backend) with a bounded cache.

The app and ``scripts/figures.py`` both render through :func:`figure_bytes`, so a
downloaded figure and a reproduced one come out of the same code path.

matplotlib and plotnine are imported on the first render, not with this module: the app
process holds the figure cache and hands figures to its workers, and rendering nothing
itself it need not load them (their memory and their import time).
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmtrends.serving import speedups

if TYPE_CHECKING:
    from plotnine import ggplot

# No display: whoever imports matplotlib first (plotnine, in a view's figure) gets Agg.
os.environ.setdefault("MPLBACKEND", "Agg")

FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
SCREEN_DPI = 96
_LOCK = threading.Lock()  # matplotlib's pyplot state is not thread-safe
# Fonts a journal's checks accept: TrueType embedded in PDF/PS (Type 3 fonts are rejected by
# IEEE PDF eXpress and ACM), and the text of an SVG kept as text (editable, searchable).
FONT_RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none"}


@dataclass(frozen=True)
class PrintSize:
    """A figure size for a paper: ``width`` x ``height`` inches with the figure's type scaled
    so that its base text is ``base_pt`` points (ticks and legends 0.8 of it, as on screen),
    never smaller than ``min_pt`` for any text when the figure has to shrink its type to fit."""
    label: str
    width: float
    height: float
    base_pt: float
    min_pt: float = 6.0


# The sizes a figure downloads at: as on screen (the view's own size), or a journal's
# single (3.5 in) or double (7 in) column width with type readable in print.
SIZES: dict[str, PrintSize | None] = {
    "screen": None,
    "single": PrintSize("Single column (3.5 in)", 3.5, 3.2, 7.5),
    "double": PrintSize("Double column (7 in)", 7.0, 4.3, 8.5),
}
SIZE_LABELS = {"screen": "As on screen", **{k: v.label for k, v in SIZES.items() if v is not None}}
EDGE_PT = 2.0  # no text closer than this to the figure's edge


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display), imported on first use."""
    import matplotlib

    matplotlib.use("Agg")  # must precede the first pyplot import
    import matplotlib.pyplot as plt

    speedups.install_figures()  # same figures, fonts' metrics tables read once (checked, see module)
    return plt


def figure_bytes(fig: ggplot, fmt: str = "png", dpi: int = SCREEN_DPI, size: str = "screen") -> bytes:
    """The figure as PNG, SVG or PDF bytes: at the size of the figure's theme (``size``
    "screen"), or at a paper's column width (a key of :data:`SIZES`, see :func:`print_variants`).
    PDFs embed TrueType fonts and SVGs keep their text as text (:data:`FONT_RC`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if size not in SIZES:
        raise ValueError(f"unknown figure size {size!r}; expected one of {', '.join(SIZES)}")
    import matplotlib

    plt = pyplot()
    buf = io.BytesIO()
    with _LOCK:
        mfig = _draw(fig, SIZES[size])
        try:
            metadata = {"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else {})
            with matplotlib.rc_context({**FONT_RC, "svg.hashsalt": "llmtrends"}):
                mfig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata or None)
        finally:
            plt.close(mfig)
    return buf.getvalue()


def _draw(fig: ggplot, size: PrintSize | None):
    """The drawn matplotlib figure: as designed, or the first of :func:`print_variants` whose
    text all lies inside the figure (the last one when none does)."""
    if size is None:
        return fig.draw()
    plt = pyplot()
    variants = list(print_variants(fig, size))
    for i, variant in enumerate(variants):
        mfig = variant.draw()
        if i == len(variants) - 1 or not text_outside(mfig):
            return mfig
        plt.close(mfig)
    raise AssertionError("print_variants gave no figure")  # never: it yields at least one


def print_variants(fig: ggplot, size: PrintSize) -> Iterator[ggplot]:
    """The figure at a paper's size, from the most faithful to the most compact version.

    Every text size the figure's theme sets, and the size of its text layers (labels drawn
    in the plot), is scaled by one factor, so that the base text is ``size.base_pt``;
    titles are aligned with the figure's left edge and wrapped to its width; the layout is
    the figure's own. Then the same with its legends under the plot, their keys stacked
    under their titles in one column (a long row of legend keys is wider than a paper's
    column), then in two columns (many keys in one column are taller than the figure), then
    with the type made smaller in steps of 10 % while the base text stays a point above
    ``size.min_pt``; no text is ever made smaller than ``size.min_pt``.
    """
    from plotnine import theme, theme_get

    base = fig.theme or theme_get()
    design_pt = base.themeables.getp(("text", "size")) or 11.0
    steps = [size.base_pt / design_pt]
    while design_pt * steps[-1] * 0.9 >= size.min_pt + 1.0:  # the base text a point above the floor
        steps.append(steps[-1] * 0.9)
    yield _scaled(fig, base, steps[0], size, theme())
    stacked = theme(legend_direction="vertical", legend_title_position="top")
    if base.themeables.getp("legend_position") in ("left", "right"):  # beside the plot: no room in a column
        stacked += theme(legend_position="bottom")
    # legends under the plot leave its panel shorter: the y axis title is wrapped to that
    yield _legend_columns(_scaled(fig, base, steps[0], size, stacked, STACKED_Y_SHARE), 1)
    for factor in steps:
        yield _legend_columns(_scaled(fig, base, factor, size, stacked, STACKED_Y_SHARE), 2)


Y_SHARE = 0.45  # of the figure's height, what a y axis title is wrapped to beside a legend
STACKED_Y_SHARE = 0.3  # ... and with the legends under the plot, whose panel they shorten


def _scaled(fig: ggplot, base, factor: float, size: PrintSize, extra, y_share: float = Y_SHARE) -> ggplot:
    """A copy of ``fig`` at ``size`` whose theme's text sizes (from ``base``, the figure's
    theme) and text layers' sizes are multiplied by ``factor`` (none below ``size.min_pt``),
    its titles wrapped to the figure (a y axis title to ``y_share`` of its height), plus the
    theme ``extra``."""
    from plotnine import theme
    from plotnine.themes.elements import element_text

    out = deepcopy(fig)
    th = deepcopy(base)
    for t in th.themeables.values():
        props = t.theme_element.properties if isinstance(t.theme_element, element_text) else {}
        if isinstance(props.get("size"), (int, float)):
            props["size"] = max(props["size"] * factor, size.min_pt)
    out.theme = th + theme(figure_size=(size.width, size.height), plot_title_position="plot") + extra
    for layer in out.layers:
        if type(layer.geom).__name__ in ("geom_text", "geom_label"):
            pts = layer.geom.aes_params.get("size")
            if isinstance(pts, (int, float)):
                layer.geom.aes_params["size"] = max(pts * factor, size.min_pt)
    # titles and axis titles wrapped to what the figure's width (height, for y) holds
    getp = out.theme.themeables.getp
    design_pt = getp(("text", "size")) or 11.0
    # (axis titles are centred on the panels, which the axes' labels leave narrower)
    for name, along, themeable in (("title", size.width, "plot_title"), ("subtitle", size.width, "plot_subtitle"),
                                   ("caption", size.width, "plot_caption"), ("x", size.width * 0.65, "axis_title_x"),
                                   ("y", size.height * y_share, "axis_title_y")):
        text = getattr(out.labels, name, None)
        if isinstance(text, str) and text:
            pts = getp((themeable, "size")) or design_pt
            setattr(out.labels, name, _wrap(text, along * 72.0 * 0.95, pts))
    return out


def _legend_columns(fig: ggplot, ncol: int) -> ggplot:
    """``fig`` (a copy the caller owns) with every legend's keys in ``ncol`` columns, also
    the legends a view laid out in rows (``guide_legend(nrow=...)``)."""
    from dataclasses import fields

    from plotnine import guide_legend

    def set_columns(guide):
        if isinstance(guide, guide_legend):
            guide.nrow, guide.ncol = None, ncol
        return guide

    for scale in fig.scales:
        guide = getattr(scale, "guide", None)
        scale.guide = guide_legend(ncol=ncol) if guide == "legend" else set_columns(guide)
    for field in fields(fig.guides):
        set_columns(getattr(fig.guides, field.name))
    return fig


def _wrap(text: str, width_pt: float, font_pt: float) -> str:
    """``text`` broken into lines that fit ``width_pt`` at ``font_pt`` (DejaVu Sans averages
    ~0.6 em a character, bold a little more)."""
    import textwrap

    chars = max(12, int(width_pt / (0.62 * font_pt)))
    return "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))


def text_outside(mfig, margin_pt: float = EDGE_PT, skip=()) -> list[str]:
    """The texts of a drawn matplotlib figure that reach closer than ``margin_pt`` to its edge
    or past it (titles, labels, legend entries), as short descriptions; empty when none.
    ``skip``: text artists not to check."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(mfig)
    canvas.draw()  # places the texts inside legends and strips, which only drawing does
    renderer = canvas.get_renderer()
    width, height = mfig.bbox.width, mfig.bbox.height
    pad = margin_pt * mfig.dpi / 72.0
    out = []
    for t in mfig.findobj(Text):
        if t in skip or not t.get_visible() or not t.get_text().strip():
            continue
        box = t.get_window_extent(renderer)
        if box.x0 < pad or box.y0 < pad or box.x1 > width - pad or box.y1 > height - pad:
            out.append(f"{t.get_text()[:40]!r} at ({box.x0:.0f}, {box.y0:.0f})-({box.x1:.0f}, {box.y1:.0f}) "
                       f"of {width:.0f}x{height:.0f}")
    return out


def view_figure_bytes(view_id: str, which: str, params, tbl, fmt: str = "png", dpi: int = SCREEN_DPI,
                      size: str = "screen") -> bytes:
    """Render figure ``which`` of view ``view_id`` for ``params`` from its table."""
    from llmtrends.views import by_id  # views import plotnine only; render must not import them at module level

    return figure_bytes(by_id(view_id).figure(tbl, params, which), fmt, dpi, size)


def warm_up() -> None:
    """Draw one small figure using what the views' figures use (text, legends, facets, dates,
    trend lines: least squares, loess), so the lazily imported modules and matplotlib's font
    caches are loaded. The fork server does this once; its workers inherit it all."""
    import numpy as np
    import pandas as pd
    from plotnine import aes, facet_wrap, geom_point, geom_rect, geom_text, ggplot, labs

    from llmtrends.views import look

    n = 40
    x = np.linspace(1.0, 40.0, n)
    data = pd.DataFrame({"x": x, "y": np.sin(x / 5.0) + x / 20.0, "g": ["a", "b"] * (n // 2),
                         "t": pd.date_range("2024-01-01", periods=n, freq="D")})
    fig = (ggplot(data, aes("x", "y", color="g"))
           + geom_point() + look.smooth(method=look.linear_trend, se=False) + look.smooth(method="loess", se=False)
           + geom_text(aes(label="g"), data=data.head(2), size=8)
           + geom_rect(aes(xmin="x", xmax="x", ymin="y", ymax="y"), data=data.head(2), inherit_aes=False)
           + facet_wrap("g") + labs(title="warm-up") + look.theme_study())
    figure_bytes(fig, "png")
    figure_bytes(ggplot(data, aes("t", "y")) + geom_point() + look.month_axis(data["t"].min(), data["t"].max())
                 + look.theme_study(), "png")
