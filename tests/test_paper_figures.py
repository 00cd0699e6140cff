"""Figures for a paper: PDF fonts embedded as TrueType (no Type 3, which IEEE and ACM checks
reject), SVG text kept as text, and the single-column (3.5 in) and double-column (7 in)
sizes: the page is that size, and no title, label or legend entry touches the edge."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib

import pytest

from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import VIEWS, compare, type_popularity

# These figures' own labels, drawn in the plot and laid out for the screen's width (release
# names; model names, which the base models view can turn off), may reach past a single
# column's edge; their titles, axes and legends may not.
DATA_LABELS_MAY_OVERFLOW = {("releases", "counts", "single"), ("base_models", "evolution", "single")}


def pdf_objects(pdf: bytes) -> dict[int, bytes]:
    """The PDF's objects by number: their dictionaries (streams left out, unread)."""
    out = {}
    for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S):
        body = m.group(2)
        out[int(m.group(1))] = body.split(b"stream", 1)[0]
    return out


def fonts(pdf: bytes) -> list[dict]:
    """Every font dictionary of the PDF: its subtype, and whether its descriptor (or, for a
    composite font, its descendant's) embeds a TrueType program (``/FontFile2``)."""
    objs = pdf_objects(pdf)

    def ref(body: bytes, key: bytes) -> int | None:
        m = re.search(rb"/" + key + rb"\s+(\d+) 0 R", body)
        return int(m.group(1)) if m else None

    def embedded(body: bytes) -> bool:
        desc = ref(body, b"FontDescriptor")
        if desc is not None:
            return b"/FontFile2" in objs.get(desc, b"")
        kids = re.search(rb"/DescendantFonts\s*\[\s*(\d+) 0 R", body)
        return kids is not None and embedded(objs[int(kids.group(1))])

    out = []
    for body in objs.values():
        if re.search(rb"/Type\s*/Font\b", body):
            sub = re.search(rb"/Subtype\s*/(\w+)", body).group(1).decode()
            if sub == "CIDFontType2":
                continue  # a composite font's descendant: checked through its parent
            out.append({"subtype": sub, "embedded": embedded(body)})
    return out


@pytest.fixture(scope="module")
def v2(snapshot_dir):
    return store.read_snapshot(snapshot_dir, "v2")


def test_the_pdf_parser_sees_type3_fonts():
    # the same figure with matplotlib's default (Type 3) fonts: the check must catch them
    import io

    import matplotlib
    plt = render.pyplot()
    fig = plt.figure(figsize=(2, 1))
    fig.text(0.1, 0.5, "Type 3 ≤ 9B")
    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 3}):
        fig.savefig(buf, format="pdf")
    plt.close(fig)
    assert {f["subtype"] for f in fonts(buf.getvalue())} == {"Type3"}


@pytest.mark.parametrize("size", list(render.SIZES))
def test_pdf_fonts_are_embedded_truetype(v2, size):
    params = type_popularity.Params.defaults(v2)
    fig = type_popularity.figure(type_popularity.table(v2, params), params, "counts")
    pdf = render.figure_bytes(fig, "pdf", size=size)
    found = fonts(pdf)
    assert found, "no font in the PDF"
    assert all(f["subtype"] in ("TrueType", "Type0") for f in found), found
    assert all(f["embedded"] for f in found), found
    # and the text is there: the page's content streams name the fonts
    streams = [zlib.decompress(m.group(1)) for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
               if m.group(1)[:1] == b"x"]
    assert any(b" Tf" in s for s in streams)


@pytest.mark.parametrize("size", list(render.SIZES))
def test_svg_keeps_text_as_text(v2, size):
    params = compare.Params.defaults(v2)
    fig = compare.figure(compare.table(v2, params), params, "radar")
    svg = render.figure_bytes(fig, "svg", size=size)
    root = ET.fromstring(svg)
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Benchmark scores" in texts and "IFEval" in texts
    assert params.models[0] in texts  # the legend's model names


@pytest.mark.parametrize("size", ["single", "double"])
def test_paper_sizes_are_the_column_widths(v2, size):
    params = type_popularity.Params.defaults(v2)
    fig = type_popularity.figure(type_popularity.table(v2, params), params, "shares")
    want = render.SIZES[size]
    svg = ET.fromstring(render.figure_bytes(fig, "svg", size=size))
    # matplotlib writes the size in points (72 a inch)
    assert float(svg.get("width").removesuffix("pt")) == pytest.approx(want.width * 72)
    assert float(svg.get("height").removesuffix("pt")) == pytest.approx(want.height * 72)
    pdf = render.figure_bytes(fig, "pdf", size=size)
    box = [float(v) for v in re.search(rb"/MediaBox\s*\[\s*([\d.\s]+)\]", pdf).group(1).split()]
    assert box == pytest.approx([0, 0, want.width * 72, want.height * 72])


def _drawn(fig, size):
    """The matplotlib figure the paper size draws, and its text sizes in points."""
    from matplotlib.text import Text
    mfig = render._draw(fig, render.SIZES[size])
    sizes = [t.get_fontsize() for t in mfig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return mfig, sizes


@pytest.mark.parametrize("size", ["single", "double"])
@pytest.mark.parametrize("view", [v for v in VIEWS if v.FIGURES], ids=lambda v: v.ID)
def test_paper_figures_fit_with_readable_type(snapshot_dir, view, size):
    board = "v2" if view.ID in ("co2", "changes") else "v1"  # v2: CO₂ costs, a history of snapshots
    snap = store.read_snapshot(snapshot_dir, board)
    params = view.Params.defaults(snap)
    tbl = view.table(snap, params)
    plt = render.pyplot()
    for which in view.FIGURES:
        mfig, sizes = _drawn(view.figure(tbl, params, which), size)
        try:
            outside = render.text_outside(mfig)
            if (view.ID, which, size) in DATA_LABELS_MAY_OVERFLOW:
                inside_axes = {t for ax in mfig.axes for t in ax.texts}
                outside = render.text_outside(mfig, skip=inside_axes)
            assert not outside, f"{view.ID}/{which} ({size}): text at the edge: {outside[:3]}"
            assert min(sizes) >= render.SIZES[size].min_pt - 1e-6, (view.ID, which, min(sizes))
            assert mfig.get_size_inches() == pytest.approx((render.SIZES[size].width, render.SIZES[size].height))
        finally:
            plt.close(mfig)


def test_text_outside_finds_a_title_at_the_edge():
    plt = render.pyplot()
    fig = plt.figure(figsize=(3, 2), dpi=100)
    fig.text(0.5, 1.0, "touching the top", ha="center", va="top")
    fig.text(0.5, 0.5, "well inside", ha="center")
    try:
        found = render.text_outside(fig)
        assert len(found) == 1 and "touching the top" in found[0]
    finally:
        plt.close(fig)
