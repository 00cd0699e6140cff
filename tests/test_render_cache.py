"""Caching and speed-ups trade no correctness (issue 8).

* a figure served from the FigureCache is byte-identical to a fresh render, for every
  view's default figures on both boards, including the entries the stored default figures fill;
* a table served from the TableCache equals a fresh ``view.table`` (and is a copy);
* both caches keep to their memory bound, evicting least-recently-used entries
  (sizes worked out by hand);
* the views' own stacking (``periods.stacked``) draws the figure plotnine's stacking draws;
* the pandas ``isin`` shortcut answers as pandas does; the figure shortcuts (fonts' tables
  read once, object strings in figure workers) draw every default figure byte for byte.
"""

from __future__ import annotations

import dataclasses
import inspect
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmtrends.pipeline import store
from llmtrends.serving import cache, speedups, render
from llmtrends.views import VIEWS, by_id
from llmtrends.views import inputs, look, periods, provenance, selection


@pytest.fixture(scope="module")
def snapshots(snapshot_dir):
    return {b: store.read_snapshot(snapshot_dir, b) for b in ("v1", "v2")}


def _defaults(view, snap):
    """(params, table) at the view's defaults, or None when the board cannot show it."""
    params = view.Params.defaults(snap)
    try:
        return params, view.table(snap, params)
    except inputs.ViewError:
        return None


def _views_at_defaults(snap):
    """(view, params, table) of every view the board can show, at its defaults."""
    for view in VIEWS:
        got = _defaults(view, snap)
        if got is not None:
            yield view, *got


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_cached_figures_are_byte_identical_to_fresh_renders(snapshots, board):
    snap = snapshots[board]
    figs = cache.FigureCache(max_bytes=64 * 1024 * 1024)
    checked = 0
    for view, params, tbl in _views_at_defaults(snap):
        for which in view.FIGURES:
            key = (view.ID, which, params, snap.version, "png", render.SCREEN_DPI)
            first = figs.get_or_render(key, lambda: render.figure_bytes(view.figure(tbl, params, which), "png"))
            cached = figs.get_or_render(key, lambda: pytest.fail("a cached key was rendered again"))
            fresh = render.figure_bytes(view.figure(tbl, params, which), "png")
            assert cached is first
            assert cached == fresh, f"{board}/{view.ID}/{which}: cached and fresh renders differ"
            assert cached[:8] == b"\x89PNG\r\n\x1a\n"
            checked += 1
    assert figs.hits == checked and figs.misses == checked
    assert checked >= 5


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_figures_from_what_a_worker_is_sent_are_the_same(snapshots, board):
    # figure_table sends a figure worker only what a figure draws (FIGURE_ROWS: a scatter
    # plot's points, a summary plot's rows): a figure reading anything else fails here
    # (KeyError), one drawn differently differs in bytes. Sent as the pool sends it
    # (pickled), so what the figure reads from the frame's attrs must survive that.
    snap = snapshots[board]
    sent = []
    for view, params, tbl in _views_at_defaults(snap):
        for which in view.FIGURES:
            part = pickle.loads(pickle.dumps(provenance.figure_table(view, which, tbl, params)))
            if which not in getattr(view, "FIGURE_ROWS", {}):
                assert part.equals(tbl)
                continue
            assert len(part) < len(tbl) or len(part.columns) < len(tbl.columns)  # less is sent
            assert (render.figure_bytes(view.figure(part, params, which), "png")
                    == render.figure_bytes(view.figure(tbl, params, which), "png")), f"{board}/{view.ID}/{which}"
            sent.append(f"{view.ID}/{which}")
    # every plot of the four per-model views (co2: v2 only), the base models' two series and
    # What Changed's history plots (v2 only: v1 has a single snapshot)
    per_model = ["score_trends/scores", "score_trends/totals", "params_score/per_billion", "params_score/scatter",
                 "moe/distribution", "moe/scatter", "base_models/evolution", "base_models/derivatives"]
    per_model += ["co2/cost", "co2/efficiency", "changes/board_size", "changes/frontier"] if board == "v2" else []
    assert sorted(sent) == sorted(per_model)


@pytest.mark.parametrize("view_id, which", [("params_score", "scatter"), ("moe", "scatter"),
                                            ("co2", "cost"), ("score_trends", "scores")])
def test_a_large_boards_scatter_plot_is_sent_its_sample_only(snapshots, view_id, which):
    # three copies of the real v2 table (13,000+ models): the worker gets at most MAX_POINTS
    # rows per group, the caption and legend counts of all of them, and draws the same figure
    view = by_id(view_id)
    snap = snapshots["v2"]
    params = view.Params.defaults(snap)
    tbl = view.table(snap, params)
    big = pd.concat([tbl] * 3, ignore_index=True)
    part = pickle.loads(pickle.dumps(provenance.figure_table(view, which, big, params)))
    facts = provenance.drawn_facts(part)
    rows = (big["series"] == "model").sum() if view_id == "score_trends" else len(big)
    assert rows > provenance.MAX_POINTS
    if view_id == "moe":  # every MoE model (fewer than half the cap here), dense ones fill the rest
        n_moe = int((big["experts"] == "MoE").sum())
        assert n_moe < provenance.MAX_POINTS // 2 and len(part) == provenance.MAX_POINTS
        assert int((part["experts"] == "MoE").sum()) == n_moe
        assert facts["counts"] == {"MoE": n_moe, "Dense": len(big) - n_moe}
        # the rule the scatter counts MoE by, then the sample
        assert facts["caption"] == (view.rule_caption(big, params) + f" {provenance.MAX_POINTS - n_moe:,} of "
                                    f"{len(big) - n_moe:,} dense models drawn (a random sample).")
    else:
        assert len(part) == provenance.MAX_POINTS
        assert facts["caption"] == f"{provenance.MAX_POINTS:,} of {rows:,} models drawn (a random sample)"
    if view_id == "co2":
        assert facts["counts"] == big["provider"].value_counts().to_dict()
    assert (render.figure_bytes(view.figure(part, params, which), "png")
            == render.figure_bytes(view.figure(big, params, which), "png"))


@pytest.mark.parametrize("view_id, which, rows", [("params_score", "per_billion", 3), ("moe", "distribution", None),
                                                  ("co2", "efficiency", None)])
def test_a_large_boards_summary_plot_is_sent_its_summary_only(snapshots, view_id, which, rows):
    # three copies of the real v2 table: the worker gets one row per size class, box or
    # (type, size class) cell, whatever the table's length, and draws the same figure
    view = by_id(view_id)
    snap = snapshots["v2"]
    params = view.Params.defaults(snap)
    big = pd.concat([view.table(snap, params)] * 3, ignore_index=True)
    part = pickle.loads(pickle.dumps(provenance.figure_table(view, which, big, params)))
    if view_id == "moe":  # a box per (panel, group): all sizes and each size class, MoE and dense
        rows = (1 + len(params.sizes)) * 2
        assert facts_counts_total(provenance.drawn_facts(part)["counts"]) == 2 * len(big)
    if view_id == "co2":
        rows = len(big[["type", "size_class"]].drop_duplicates())
    assert len(part) == rows
    assert (render.figure_bytes(view.figure(part, params, which), "png")
            == render.figure_bytes(view.figure(big, params, which), "png"))


def facts_counts_total(counts: list[dict]) -> int:
    """Models over every box: the 'all sizes' panel and the size-class panels count each once."""
    return sum(r["models"] for r in counts)


def test_stored_default_figures_fill_the_keys_the_plots_ask_for(snapshots, tmp_path, monkeypatch):
    # a build's stored default figures (llmtrends.serving.default_figures) go where a session's
    # plots at their defaults look, and its provenance finds the count without a table
    import shutil

    from llmtrends.serving import default_figures
    from modules import serving

    figs = cache.FigureCache(max_bytes=64 * 1024 * 1024)
    tables = cache.TableCache(max_bytes=64 * 1024 * 1024)
    monkeypatch.setattr(serving, "FIGURES", figs)
    monkeypatch.setattr(serving, "TABLES", tables)
    monkeypatch.setattr(serving, "SHOWN", cache.ValueCache(max_items=64))
    view = by_id("type_popularity")
    snap = snapshots["v2"]
    copy = tmp_path / "snap"
    shutil.copytree(snap.path, copy, ignore=shutil.ignore_patterns(default_figures.FOLDER))
    snap = store.Snapshot(board="v2", models=snap.models, commit_authors=snap.commit_authors,
                          manifest=snap.manifest, path=copy)
    default_figures.draw(snap, [view])

    def no_rendering(*args, **kwargs):
        raise AssertionError("a stored figure was rendered again")
    monkeypatch.setattr(serving.RENDERER, "render", no_rendering)
    # what a session's controls send at their defaults (dates as ISO strings from the browser)
    d = view.Params.defaults(snap)
    raw = {"dates": (d.start.isoformat(), d.end.isoformat()), "types": list(d.types), "aggregation": d.aggregation}
    params = view.Params.from_inputs(raw, snap)
    got = {which: serving.cached_figure(view, which, params, snap) for which in view.FIGURES}
    shown = serving.models_shown(view, snap, params)
    assert len(tables) == 0  # no table computed for them
    tbl = view.table(snap, params)
    for which in view.FIGURES:
        assert got[which] is not None, f"the stored {which} was not served"
        assert got[which] == render.figure_bytes(view.figure(tbl, params, which), "png")
        # read once, then cached where the plots look first
        assert figs.get(serving.figure_key(view, which, params, snap)) == got[which]
    assert shown == tbl.attrs["models_shown"]
    assert serving.SHOWN.get(serving.table_key(view, snap, params)) == shown
    # other parameters: nothing stored, nothing known without the table
    other = dataclasses.replace(params, aggregation="month")
    assert serving.cached_figure(view, "counts", other, snap) is None and serving.models_shown(view, snap, other) is None


def test_figure_cache_evicts_least_recently_used_within_its_bound():
    figs = cache.FigureCache(max_bytes=1000)
    figs.get_or_render("a", lambda: b"a" * 400)
    figs.get_or_render("b", lambda: b"b" * 400)
    assert figs.size_bytes == 800 and len(figs) == 2
    assert figs.get("a") == b"a" * 400  # "a" is now the most recently used
    figs.get_or_render("c", lambda: b"c" * 400)  # 1200 > 1000: the oldest, "b", goes
    assert figs.size_bytes == 800 and len(figs) == 2
    assert figs.get("b") is None and figs.get("a") is not None and figs.get("c") is not None
    big = figs.get_or_render("big", lambda: b"x" * 1001)  # larger than the bound: served, not kept
    assert big == b"x" * 1001 and figs.get("big") is None and figs.size_bytes == 800
    assert figs.misses == 4


def test_outputs_asking_for_a_figure_under_way_share_its_render(monkeypatch):
    # the one place sessions share a render: two outputs asking for the same figure while
    # it renders get the same future, and the worker draws it once
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from modules import serving

    monkeypatch.setattr(serving, "FIGURES", cache.FigureCache(max_bytes=10_000))
    monkeypatch.setattr(serving, "_INFLIGHT", {})
    release, calls = threading.Event(), []

    def slow(*args, **kwargs):
        calls.append(args[:2])
        release.wait(timeout=30)
        return b"\x89PNG\r\n\x1a\n made up"
    monkeypatch.setattr(serving.RENDERER, "render", slow)
    view, s = by_id("official"), type("Snap", (), {"version": "made-up"})()

    async def ask():
        first = serving.figure_future(view, "counts", "params", None, s)
        second = serving.figure_future(view, "counts", "params", None, s)
        other = serving.figure_future(view, "ratios", "params", None, s)
        release.set()
        got = await asyncio.gather(first, second, other)
        await asyncio.sleep(0)  # the done callbacks run
        return first is second, first is not other, got, dict(serving._INFLIGHT)

    with ThreadPoolExecutor(1) as pool:  # a loop of its own: a browser test may hold this thread's
        same, distinct, got, left = pool.submit(asyncio.run, ask()).result(timeout=60)
    assert same and distinct and left == {}
    assert got == [b"\x89PNG\r\n\x1a\n made up"] * 3
    assert sorted(calls) == [("official", "counts"), ("official", "ratios")]  # one render each
    assert serving.FIGURES.get(serving.figure_key(view, "counts", "params", s)) == got[0]


def test_a_failed_render_is_not_cached_and_does_not_block():
    figs = cache.FigureCache(max_bytes=1000)
    with pytest.raises(RuntimeError):
        figs.get_or_render("k", lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    assert figs.get_or_render("k", lambda: b"ok") == b"ok" and len(figs) == 1


# --------------------------------------------------------------------------- tables


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_cached_tables_equal_fresh_tables(snapshots, board):
    snap = snapshots[board]
    tables = cache.TableCache(max_bytes=64 * 1024 * 1024)
    n = 0
    for view, params, fresh in _views_at_defaults(snap):
        key = (view.ID, board, snap.version, params)
        first = tables.get_or_compute(key, lambda: view.table(snap, params))
        again = tables.get_or_compute(key, lambda: pytest.fail("a cached table was computed again"))
        pd.testing.assert_frame_equal(first, fresh)
        pd.testing.assert_frame_equal(again, fresh)
        assert again.attrs == fresh.attrs
        n += 1
    assert tables.hits == n and tables.misses == n


def test_a_cached_table_is_a_copy():
    tables = cache.TableCache(max_bytes=10_000)
    key = ("v", "v2", "abc", 1)
    got = tables.get_or_compute(key, lambda: pd.DataFrame({"x": [1, 2, 3]}))
    got["x"] = 0
    got.attrs["models_shown"] = 99
    again = tables.get_or_compute(key, lambda: pytest.fail("recomputed"))
    assert again["x"].tolist() == [1, 2, 3] and "models_shown" not in again.attrs


def _frame_16000() -> pd.DataFrame:
    # 1000 int64 values (8000 bytes) + an int64 index of 1000 (8000 bytes) = 16000 bytes
    return pd.DataFrame({"x": np.zeros(1000, dtype="int64")}, index=pd.Index(np.arange(1000, dtype="int64")))


def test_table_cache_evicts_least_recently_used_within_its_bound():
    assert cache.frame_bytes(_frame_16000()) == 16_000
    tables = cache.TableCache(max_bytes=40_000)
    for k in ("a", "b"):
        tables.get_or_compute(k, _frame_16000)
    assert tables.size_bytes == 32_000 and len(tables) == 2
    tables.get_or_compute("a", lambda: pytest.fail("recomputed"))  # "a" most recently used
    tables.get_or_compute("c", _frame_16000)  # 48000 > 40000: "b" goes
    assert tables.size_bytes == 32_000 and "b" not in tables and "a" in tables and "c" in tables
    tables.get_or_compute("huge", lambda: pd.concat([_frame_16000()] * 3))  # 48000: not kept
    assert "huge" not in tables and tables.size_bytes == 32_000


def test_table_errors_propagate_and_are_not_cached():
    tables = cache.TableCache(max_bytes=40_000)

    def empty():
        raise inputs.EmptySelection("nothing")

    with pytest.raises(inputs.EmptySelection):
        tables.get_or_compute("k", empty)
    assert len(tables) == 0 and tables.size_bytes == 0


# --------------------------------------------------------------------------- speed-ups


def test_stacked_by_hand():
    # levels a, b, c: within each x, c at the bottom, then b, then a on top; NaN counts as 0
    data = pd.DataFrame({"x": [2, 1, 1, 1, 2, 2], "g": ["a", "a", "b", "c", "b", "c"],
                         "v": [1.0, 2.0, np.nan, 3.0, 4.0, 0.5]})
    out = periods.stacked(data, "x", "v", "g", ["a", "b", "c"])
    assert list(zip(out["x"], out["g"])) == [(1, "c"), (1, "b"), (1, "a"), (2, "c"), (2, "b"), (2, "a")]
    assert out["ymin"].tolist() == [0.0, 3.0, 3.0, 0.0, 0.5, 4.5]
    assert out["ymax"].tolist() == [3.0, 3.0, 5.0, 0.5, 4.5, 5.5]
    assert out["v"].isna().sum() == 1  # the data's own columns are kept as they were
    with pytest.raises(ValueError, match="negative"):
        periods.stacked(data.assign(v=[-1.0, 1, 1, 1, 1, 1]), "x", "v", "g", ["a", "b", "c"])


def _plotnine_stacked_figure(view_id, tbl, params, which):
    """The figure with plotnine's own stacking: ``geom_col`` (its position_stack) for the
    whole periods and, faded, for the partial ones; same scales, legend and caption."""
    from plotnine import aes, geom_col, ggplot, labs, scale_fill_manual, scale_y_continuous

    word = periods.aggregation_word(params.aggregation)
    if view_id == "type_popularity":
        data = tbl.assign(type=pd.Categorical(tbl["type"], categories=list(params.types)))
        partial = data["partial"].astype(bool)
        y = "new_models" if which == "counts" else "share"
        width = periods.bar_width(params.aggregation)
        cols = [geom_col(data=data.loc[~partial], width=width)]
        if partial.any():
            cols.append(geom_col(data=data.loc[partial], width=width, alpha=0.35))
        caption = by_id(view_id).partial_caption(tbl, params.aggregation)
        fig = (ggplot(mapping=aes("period", y, fill="type")) + cols
               + scale_fill_manual(values=look.TYPE_COLORS, name="Model type", drop=False, limits=list(params.types),
                                   guide=look.legend_guide(params.types, "Model type"))
               + look.month_axis(params.start, params.end) + look.theme_study())
        if which == "counts":
            return fig + labs(x="", y=f"New models ({word})", title="New models by type",
                              caption=caption and look.wrap_text(caption))
        return (fig + scale_y_continuous(labels=lambda xs: [f"{x:.0%}" for x in xs])
                + labs(x="", y=f"Share of new models ({word})", title="Share of new models by type",
                       caption=caption and look.wrap_text(caption)))
    raise AssertionError(view_id)


@pytest.mark.parametrize("board", ["v1", "v2"])
@pytest.mark.parametrize("aggregation", ["day", "week", "month"])
def test_stacked_figures_equal_plotnine_stacking(snapshots, board, aggregation):
    import dataclasses

    view = by_id("type_popularity")  # stacked bars of counts and of shares
    snap = snapshots[board]
    params = dataclasses.replace(view.Params.defaults(snap), aggregation=aggregation)
    tbl = view.table(snap, params)
    for which in view.FIGURES:
        ours = render.figure_bytes(view.figure(tbl, params, which), "png")
        theirs = render.figure_bytes(_plotnine_stacked_figure(view.ID, tbl, params, which), "png")
        assert ours == theirs, f"{board}/{aggregation}/{which}: our stacking draws another figure"


@pytest.mark.parametrize("values", [
    ["b", "d"],
    pd.Series(["a", None, "zz"], dtype="str"),
    pd.Index(["c", "a"]),
    np.array(["a", np.nan], dtype=object),
    [],
    [None],
    [1, 2],
    ["a", 1],
])
def test_string_isin_shortcut_matches_pandas(values):
    # pandas' own str type where it is Arrow-backed (pandas 3, what the app's tables hold), else
    # pandas 2's explicit Arrow strings (its tables hold objects: the shortcut is not met there)
    arr = pd.array(["a", "b", None, "c", "a"], dtype="str")
    if not isinstance(arr, speedups._string_array_class()):
        arr = pd.array(["a", "b", None, "c", "a"], dtype="string[pyarrow]")
    ours = speedups.string_isin(arr, values)
    theirs = speedups.original_string_isin()(arr, values)
    assert ours.dtype == np.bool_ and ours.tolist() == theirs.tolist()


def test_string_isin_by_hand():
    s = pd.Series(["x/a", "y/b", None, "x/a"], dtype="str")
    assert s.isin(pd.Series(["x/a", "q"], dtype="str")).tolist() == [True, False, False, True]
    assert s.isin([]).tolist() == [False] * 4


def test_a_fonts_tables_are_read_once_and_equal_its_own(monkeypatch):
    # the shortcut around matplotlib's own font loader (matplotlib.text.get_font where it
    # has one, 3.11 on; font_manager.get_font is the same function and exists in every version)
    from matplotlib import font_manager

    monkeypatch.setattr(speedups, "_ORIGINAL_GET_FONT", font_manager.get_font)
    speedups._font_tables.cache_clear()
    path = font_manager.fontManager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    font = speedups.text_get_font([path])
    own = font_manager.get_font([path])
    for name in ("head", "hhea", "OS/2", "pclt"):
        assert font.get_sfnt_table(name) == own.get_sfnt_table(name), name
    assert font.get_sfnt_table("head")["unitsPerEm"] == 2048  # DejaVu Sans, by its spec
    assert font.get_sfnt_table("OS/2") is font.get_sfnt_table("OS/2")  # read once
    assert speedups.text_get_font([path]) is font
    assert font.family_name == own.family_name == "DejaVu Sans"  # anything else: the font's own
    speedups._font_tables.cache_clear()


def test_rendering_here_leaves_pandas_string_inference_alone(snapshots):
    view = by_id("official")
    params, tbl = _defaults(view, snapshots["v2"])
    before = pd.Series(["a"]).dtype
    render.figure_bytes(view.figure(tbl, params, "counts"))
    assert pd.Series(["a"]).dtype == before
    assert (before == object) == (int(pd.__version__.split(".")[0]) < 3)  # pandas' own: str from pandas 3


def test_per_board_memo_counts_a_board_by_its_models_table():
    calls = []

    @selection.per_board
    def work(snap, k, n=1):
        calls.append((k, n))
        return (len(snap.models), k, n)

    a = store.Snapshot("v2", pd.DataFrame({"x": [1, 2, 3]}), None, {})
    same_table = store.Snapshot("v2", a.models, None, {"other": 1})
    b = store.Snapshot("v2", pd.DataFrame({"x": [1, 2, 3]}), None, {})  # equal content, another table
    assert work(a, "k") == (3, "k", 1) and work(a, "k") == (3, "k", 1)
    assert work(same_table, "k") == (3, "k", 1)
    assert calls == [("k", 1)]
    work(b, "k")
    work(a, "k", n=2)
    work(a, "j")
    assert calls == [("k", 1), ("k", 1), ("k", 2), ("j", 1)]
    for i in range(70):  # more than the 64 kept: the oldest results go
        work(a, i)
    work(a, "k")
    assert calls[-1] == ("k", 1) and len(calls) == 4 + 70 + 1


def test_per_board_memo_counts_a_models_table_by_identity():
    calls = []

    @selection.per_board
    def ids(models):
        calls.append(len(models))
        return frozenset(models["x"])

    t = pd.DataFrame({"x": [1, 2, 3]})
    other = pd.DataFrame({"x": [1, 2, 3]})  # equal content, another table
    assert ids(t) == frozenset({1, 2, 3}) and ids(t) == frozenset({1, 2, 3})
    assert calls == [3]
    ids(other)
    assert calls == [3, 3]


def test_per_board_memo_tells_commit_authors_apart():
    calls = []

    @selection.per_board
    def n_commits(snap):
        calls.append(1)
        return 0 if snap.commit_authors is None else len(snap.commit_authors)

    models = pd.DataFrame({"x": [1]})
    bare = store.Snapshot("v1", models, None, {})
    enriched = store.Snapshot("v1", models, pd.DataFrame({"repo_id": ["a/b", "a/c"]}), {})  # same models table
    assert n_commits(bare) == 0 and n_commits(enriched) == 2 and n_commits(bare) == 0
    assert len(calls) == 2


def test_repo_rank_and_sort_rows_order_as_pandas_does():
    ids = ["b/x", "a/z", "Zed/1", "a/y", "é/1", "a/ä", "b/x2"]
    # repo ids in pandas' own string type, as a board holds them (str from pandas 3, object before)
    models = pd.DataFrame({"repo_id": ids, "v": [2.0, 1.0, 2.0, 1.0, 0.5, 1.0, 2.0]},
                          index=[10, 11, 12, 13, 14, 15, 16])
    rank = selection.repo_rank(models)
    # by hand: code point order puts upper case before lower case and accents after ASCII
    by_hand = ["Zed/1", "a/y", "a/z", "a/ä", "b/x", "b/x2", "é/1"]
    assert [by_hand.index(i) for i in ids] == rank.tolist() and list(rank.index) == list(models.index)
    rows = models.loc[[16, 10, 13, 11, 15]]
    got = selection.sort_rows(rows, rows["v"], selection.ranks_of(models, rows))
    expected = rows.sort_values(["v", "repo_id"], kind="stable").reset_index(drop=True)
    assert got.equals(expected)
    assert got["repo_id"].tolist() == ["a/y", "a/z", "a/ä", "b/x", "b/x2"]
    # a missing repo id ranks last; a board whose index repeats labels ranks the rows themselves
    gap = pd.DataFrame({"repo_id": ["b/x", None, "a/z"]})
    assert selection.repo_rank(gap).tolist() == [1, 2, 0]
    twice = pd.DataFrame({"repo_id": ["c", "a", "b"]}, index=[7, 7, 8])
    assert selection.ranks_of(twice, twice.iloc[[0, 2]]).tolist() == [1, 0]
    # ties on every key keep the input order (stable)
    tied = pd.DataFrame({"k": [1, 0, 1, 0], "tag": ["p", "q", "r", "s"]})
    assert selection.sort_rows(tied, tied["k"])["tag"].tolist() == ["q", "s", "p", "r"]


def test_kept_levels_keeps_the_order_of_the_levels():
    values = pd.Series(["b", None, "d", "b", "a"], dtype="str")
    assert selection.kept_levels(["a", "b", "c", "d"], values) == ["a", "b", "d"]
    assert selection.kept_levels(["d", "a"], values) == ["d", "a"]
    assert selection.kept_levels(["z"], values) == []


def test_thin_points_by_hand():
    small = pd.DataFrame({"v": range(5)})
    same, caption = provenance.thin_points(small, max_points=5)
    assert same is small and caption == ""
    big = pd.DataFrame({"v": range(1000)}, index=range(5000, 6000))
    kept, caption = provenance.thin_points(big, "dense models", max_points=100)
    again, _ = provenance.thin_points(big, "dense models", max_points=100)
    assert len(kept) == 100 and kept["v"].is_unique and kept["v"].is_monotonic_increasing  # rows in order
    assert kept.index.equals(again.index)  # reproducible
    assert caption == "100 of 1,000 dense models drawn (a random sample)"


def test_scatter_figures_draw_at_most_max_points(snapshots, monkeypatch):
    # v2 has about 4,500 models: with the cap at 500, the scatter figures draw a 500-point
    # sample and say so; the CSV table keeps every model
    monkeypatch.setattr(provenance, "MAX_POINTS", 500)
    snap = snapshots["v2"]
    for view_id, which in [("score_trends", "scores"), ("params_score", "scatter"), ("co2", "cost"),
                           ("moe", "scatter")]:
        view = by_id(view_id)
        params = view.Params.defaults(snap)
        tbl = view.table(snap, params)
        fig = view.figure(tbl, params, which)
        drawn = [len(layer._data if isinstance(layer._data, pd.DataFrame) else fig.data)
                 for layer in fig.layers if layer.geom.__class__.__name__ == "geom_point"]
        assert drawn and all(n <= 500 for n in drawn), (view_id, drawn)
        assert "drawn (a random sample)" in fig.labels.caption, view_id
        assert len(tbl) > 500
        png = render.figure_bytes(fig, "png")
        assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_linear_trend_renders_after_a_loess_trend_in_the_same_process(snapshots):
    # plotnine's loess writes "span" into method_args, whose default dict every geom_smooth
    # shares; figures built with one copy (ggplot + [...]) would then hand it to the next
    # linear trend, which fails. look.smooth gives each trend its own dict. A worker renders
    # score trends (loess) and then params / CO2 (lm) in one process: so does this test.
    loess = look.smooth(method="loess", se=False)
    linear = look.smooth(method=look.linear_trend, se=False)
    assert loess._stat.params["method_args"] is not linear._stat.params["method_args"]
    snap = snapshots["v2"]
    for vid, which in (("score_trends", "scores"), ("params_score", "scatter"), ("co2", "cost")):
        view = by_id(vid)
        params = view.Params.defaults(snap)
        png = render.figure_bytes(view.figure(view.table(snap, params), params, which), "png")
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "span" not in linear._stat.params["method_args"]


def test_linear_trend_is_the_least_squares_line():
    # exact line: the fit must give it back
    data = pd.DataFrame({"x": [1.0, 2.0, 4.0, 8.0], "y": [5.0, 8.0, 14.0, 26.0]})  # y = 2 + 3x
    out = look.linear_trend(data, np.array([0.0, 10.0]), {"se": False})
    assert out["x"].tolist() == [0.0, 10.0]
    assert np.allclose(out["y"], [2.0, 32.0])
    # noisy points: slope = cov(x, y) / var(x), intercept = mean(y) - slope * mean(x), by hand
    rng = np.random.default_rng(7)
    x = rng.uniform(0.1, 70.0, 400)
    y = 40 + 0.2 * x + rng.normal(0, 5, 400)
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    intercept = y.mean() - slope * x.mean()
    xseq = np.linspace(x.min(), x.max(), 80)
    fitted = look.linear_trend(pd.DataFrame({"x": x, "y": y}), xseq, {"se": False})
    assert np.allclose(fitted["y"], intercept + slope * xseq, rtol=1e-12, atol=1e-9)
    # and the line plotnine's own "lm" (statsmodels OLS) draws
    from plotnine.stats.smoothers import lm

    params = {"formula": None, "method_args": {}, "se": False}
    if inspect.signature(lm).parameters["params"].kind != inspect.Parameter.VAR_KEYWORD:  # 0.14: keywords
        theirs = lm(pd.DataFrame({"x": x, "y": y}), xseq, params)
    else:
        theirs = lm(pd.DataFrame({"x": x, "y": y}), xseq, **params)
    assert np.allclose(fitted["y"], theirs["y"], rtol=1e-12, atol=1e-9)
    with pytest.raises(ValueError, match="confidence band"):
        look.linear_trend(data, np.array([0.0]), {"se": True})


def test_figures_render_without_statsmodels(snapshot_dir):
    # the straight trends are fitted with numpy: a worker rendering every figure never imports
    # statsmodels (and scipy with it), a second of its start and tens of MB
    code = (
        "import sys\n"
        "from llmtrends.pipeline import store\n"
        "from llmtrends.serving import render\n"
        "from llmtrends.views import VIEWS, inputs\n"
        f"snaps = {{b: store.read_snapshot({str(snapshot_dir)!r}, b) for b in ('v1', 'v2')}}\n"
        "render.warm_up()\n"
        "n = 0\n"
        "for snap in snaps.values():\n"
        "    for view in VIEWS:\n"
        "        params = view.Params.defaults(snap)\n"
        "        try:\n"
        "            tbl = view.table(snap, params)\n"
        "        except inputs.ViewError:\n"
        "            continue\n"
        "        for which in view.FIGURES:\n"
        "            render.figure_bytes(view.figure(tbl, params, which))\n"
        "            n += 1\n"
        "print(n, 'statsmodels' in sys.modules, 'scipy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    n, statsmodels_loaded, scipy_loaded = out.stdout.split()
    assert int(n) >= 30 and statsmodels_loaded == "False" and scipy_loaded == "False"
