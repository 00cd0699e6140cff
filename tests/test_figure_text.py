"""No text is cut: every legend entry, axis title, tick label, caption and label of every
default figure (every view, both boards) lies inside the image, on screen and in the
downloads (PNG at each resolution the app and scripts/figures.py write, SVG, PDF).

Checked from what is drawn: while matplotlib draws a figure (the way ``render.figure_bytes``
saves it), every text it draws is recorded with its window extent, computed by that very
renderer; the extent must lie inside the figure's box, and a text drawn clipped (a label
inside a panel) inside its clip box too.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from matplotlib.text import Text

from llmtrends import figures
from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import VIEWS
from llmtrends.views import inputs, look
from llmtrends.views import type_popularity
from modules.serving import DOWNLOAD_DPI

# (format, dpi): the page's PNG, the downloads (PNG, SVG, PDF) and scripts/figures.py's PNG.
# A new export size (another resolution or figure size) belongs in this list.
SIZES = [("png", render.SCREEN_DPI), ("png", DOWNLOAD_DPI), ("png", figures.DEFAULT_DPI),
         ("svg", DOWNLOAD_DPI), ("pdf", DOWNLOAD_DPI)]
TOLERANCE_PX = 0.5


@contextlib.contextmanager
def drawn_texts():
    """Record (text, extent, clip box, figure box) of every text drawn meanwhile, each box
    frozen at draw time (the figure's dpi is put back after a save)."""
    seen = []
    original = Text.draw

    def draw(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            clip = self.get_clip_box() if self.get_clip_on() else None
            seen.append((self.get_text(), self.get_window_extent(renderer).frozen(),
                         None if clip is None else clip.frozen(), self.get_figure(root=True).bbox.frozen()))

    Text.draw = draw
    try:
        yield seen
    finally:
        Text.draw = original


def draw_at(mfig, fmt: str, dpi: int) -> list:
    """Draw the figure as it is saved in ``fmt`` at ``dpi``; the texts drawn. A PNG is laid
    out and drawn at its resolution without rasterising (what savefig draws, minus the pixels)."""
    with drawn_texts() as seen:
        if fmt == "png":
            mfig.set_dpi(dpi)
            mfig.draw_without_rendering()
        else:
            mfig.savefig(io.BytesIO(), format=fmt, dpi=dpi)
    return seen


def cut_texts(seen: list) -> list[str]:
    """The texts drawn (partly) outside the figure, or outside their clip box."""
    def inside(box, frame) -> bool:
        return (box.x0 >= frame.x0 - TOLERANCE_PX and box.y0 >= frame.y0 - TOLERANCE_PX
                and box.x1 <= frame.x1 + TOLERANCE_PX and box.y1 <= frame.y1 + TOLERANCE_PX)
    bad = []
    for text, box, clip, frame in seen:
        if not inside(box, frame):
            bad.append(f"{text!r} outside the figure ({box.extents.round(1)} vs {frame.extents.round(1)})")
        elif clip is not None and not inside(box, clip):
            bad.append(f"{text!r} outside its panel ({box.extents.round(1)} vs {clip.extents.round(1)})")
    return bad


def default_figures(snap):
    for view in VIEWS:
        try:
            params = view.Params.defaults(snap)
            tbl = view.table(snap, params)
        except inputs.EmptySelection:  # CO2 on v1: nothing to draw
            continue
        for which in view.FIGURES:
            yield view, which, view.figure(tbl, params, which)


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_no_text_is_cut_in_any_default_figure(snapshot_dir, board):
    snap = store.read_snapshot(snapshot_dir, board)
    plt = render.pyplot()
    problems, checked = [], 0
    for view, which, fig in default_figures(snap):
        mfig = fig.draw()
        try:
            for fmt, dpi in SIZES:
                seen = draw_at(mfig, fmt, dpi)
                assert len(seen) >= 5, f"{view.ID}/{which}: only {len(seen)} texts drawn"
                # the axis titles the figure has (not blanked by its theme) are among the texts checked
                targets = fig.theme.targets
                titles = [t.get_text() for t in (targets.axis_title_x, targets.axis_title_y)
                          if t is not None and t.get_visible() and t.get_text().strip()]
                drawn = {text for text, *_ in seen}
                assert set(titles) <= drawn, f"{view.ID}/{which}: axis titles {titles} not drawn"
                problems += [f"{board} {view.ID}/{which} {fmt}@{dpi}: {p}" for p in cut_texts(seen)]
                checked += 1
        finally:
            plt.close(mfig)
    assert checked >= 15 * len(SIZES)
    assert not problems, "\n".join(problems)


def test_legend_entries_are_among_the_texts_checked(snapshot_dir):
    """The check sees legends: every type of the v1 type popularity legend, and its title."""
    snap = store.read_snapshot(snapshot_dir, "v1")
    params = type_popularity.Params.defaults(snap)
    fig = type_popularity.figure(type_popularity.table(snap, params), params, "shares")
    plt = render.pyplot()
    mfig = fig.draw()
    try:
        drawn = {text for text, *_ in draw_at(mfig, "png", render.SCREEN_DPI)}
    finally:
        plt.close(mfig)
    assert {"Model type", *params.types} <= drawn


def test_a_legend_wider_than_the_figure_is_caught(snapshot_dir):
    """The check can fail: v1's seven type labels in one legend row (the old layout) run off
    both edges of the 10 in figure."""
    from plotnine import guide_legend, guides

    snap = store.read_snapshot(snapshot_dir, "v1")
    params = type_popularity.Params.defaults(snap)
    fig = type_popularity.figure(type_popularity.table(snap, params), params, "counts") + guides(
        fill=guide_legend(nrow=1))
    plt = render.pyplot()
    mfig = fig.draw()
    try:
        bad = cut_texts(draw_at(mfig, "png", render.SCREEN_DPI))
    finally:
        plt.close(mfig)
    assert any(b.startswith("'Model type' outside the figure") for b in bad), bad
    assert any(b.startswith("'continuously pretrained' outside the figure") for b in bad), bad


def test_legend_rows_fit_by_hand():
    # widths measured by the function itself (an outline's width plus 12 %), the layout by hand:
    # one row holds both labels when their entries fit, two rows stack them
    a, b = "alpha", "b" * 60
    room = look.FIG_WIDTH_IN * 72 - 2 * 14.0
    entry = [27.0 + look.text_width_pt(x, look.LEGEND_TEXT_PT) for x in (a, b)]
    assert sum(entry) < room and look.legend_rows([a, b]) == 1
    wide = ["w" * 30] * 4
    one = 4 * (27.0 + look.text_width_pt(wide[0], look.LEGEND_TEXT_PT))
    assert one > room >= one / 2 and look.legend_rows(wide) == 2  # two columns of two fit
    assert look.legend_rows([]) == 1


def test_captions_are_wrapped_to_the_figure():
    text = " ".join(["word"] * 200)
    lines = look.wrap_text(text).split("\n")
    room = look.FIG_WIDTH_IN * 72 - 2 * 14.0
    assert len(lines) > 1 and " ".join(lines) == text
    assert all(look.text_width_pt(line, look.CAPTION_PT) <= room for line in lines)
    assert look.wrap_text("short\nkept") == "short\nkept"
