"""The figure store (llmtrends/figstore.py): default figures kept on disk between runs.

A stored figure is read back only for the key and the code it was rendered with; damaged
files, unwritable folders and old files are handled without losing anything the app needs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from llmtrends import cache, figstore, render, store
from llmtrends.views import by_id

PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" + b"\x00\x00\x00\x00IEND\xaeB`\x82"
KEY = ("type_popularity", "counts", ("params",), "abc123", "png", 96)


def test_a_stored_figure_is_read_back_for_its_key_only(tmp_path):
    s = figstore.FigureStore(tmp_path / "figs")
    assert s.get(KEY) is None
    s.put(KEY, PNG)
    assert s.get(KEY) == PNG
    assert s.get(KEY[:3] + ("other snapshot",) + KEY[4:]) is None
    assert figstore.FigureStore(tmp_path / "figs").get(KEY) == PNG  # a later run reads it
    assert [p.name for p in (tmp_path / "figs").iterdir() if p.name.startswith(".tmp")] == []


def test_other_code_finds_no_stored_figure(tmp_path, monkeypatch):
    figstore.FigureStore(tmp_path).put(KEY, PNG)
    monkeypatch.setattr(figstore, "_FINGERPRINT", ["another version of the code"])
    assert figstore.FigureStore(tmp_path).get(KEY) is None


def test_the_fingerprint_follows_the_drawing_libraries(monkeypatch):
    monkeypatch.setattr(figstore, "_FINGERPRINT", [])
    first = figstore.code_fingerprint()
    assert figstore.code_fingerprint() == first and len(first) == 64
    real = figstore.metadata.version
    monkeypatch.setattr(figstore, "_FINGERPRINT", [])
    monkeypatch.setattr(figstore.metadata, "version", lambda name: "0.0" if name == "plotnine" else real(name))
    assert figstore.code_fingerprint() != first


def test_a_damaged_file_is_a_miss_not_an_image(tmp_path, caplog):
    s = figstore.FigureStore(tmp_path)
    s.put(KEY, PNG)
    (path,) = [p for p in tmp_path.iterdir() if p.suffix == figstore.SUFFIX]
    path.write_bytes(PNG[: len(PNG) // 2])  # cut short
    with caplog.at_level(logging.WARNING, logger="llmtrends.figstore"):
        assert s.get(KEY) is None
    assert "damaged" in caplog.text
    assert figstore.well_formed(PNG, "png") and not figstore.well_formed(b"", "png")
    assert figstore.well_formed(b"<?xml version='1.0'?><svg></svg>\n", "svg")


def test_an_unwritable_folder_turns_the_store_off(tmp_path, caplog):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    s = figstore.FigureStore(blocker / "figs")
    with caplog.at_level(logging.WARNING, logger="llmtrends.figstore"):
        s.put(KEY, PNG)  # no exception
    assert not s.enabled and s.get(KEY) is None
    assert "not writable" in caplog.text


def test_prune_keeps_what_this_run_asked_for(tmp_path):
    old = figstore.FigureStore(tmp_path)
    old.put(("an old key",), PNG)
    (tmp_path / (".tmp-stray" + figstore.SUFFIX)).write_bytes(b"half")
    (tmp_path / "notes.txt").write_text("not the store's")
    s = figstore.FigureStore(tmp_path)
    s.put(KEY, PNG)
    assert s.prune() == 2  # the old key's file and the stray temporary file
    assert s.get(KEY) == PNG
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != figstore.SUFFIX) == ["notes.txt"]
    assert figstore.FigureStore(tmp_path).prune(keep=[KEY]) == 0


def test_the_setting(tmp_path):
    assert figstore.from_setting(None, tmp_path).folder == tmp_path / ".figures"
    assert figstore.from_setting("", tmp_path).folder == tmp_path / ".figures"
    for off in ("0", "off", "No", "false"):
        assert not figstore.from_setting(off, tmp_path).enabled
    assert figstore.from_setting(str(tmp_path / "x"), tmp_path).folder == tmp_path / "x"


def test_prewarm_keeps_its_figures_and_a_restart_reads_them_without_rendering(snapshot_dir, tmp_path, monkeypatch):
    from modules import common as mc

    snap = store.read_snapshot(snapshot_dir, "v2")
    view = by_id("official")
    monkeypatch.setattr(mc, "_INFLIGHT", {})
    monkeypatch.setattr(mc, "_LAST_RENDER", [0.0])
    monkeypatch.setattr(mc, "PREWARM_QUIET_S", 0.0)
    monkeypatch.setattr(mc, "TABLES", cache.TableCache(max_bytes=16 * 1024 * 1024))
    monkeypatch.setattr(mc, "SHOWN", cache.ValueCache())
    # first start: rendered (in this process) and stored
    monkeypatch.setattr(mc, "FIGURES", render.FigureCache(max_bytes=16 * 1024 * 1024))
    mc.prewarm({"v2": snap}, [view], "v2", store=figstore.FigureStore(tmp_path)).join(timeout=300)
    rendered = {w: mc.FIGURES.get(mc._figure_key(view, w, view.Params.defaults(snap), snap)) for w in view.FIGURES}
    assert all(png is not None and png[:8] == b"\x89PNG\r\n\x1a\n" for png in rendered.values())
    # one file per figure, and one for the number of models the table shows
    assert len([p for p in tmp_path.iterdir() if p.suffix == figstore.SUFFIX]) == len(view.FIGURES) + 1

    # a restart: empty caches, and rendering now fails -- the figures must come from the store
    def no_render(*args, **kwargs):
        raise AssertionError("a stored figure was rendered again")

    monkeypatch.setattr(mc, "FIGURES", render.FigureCache(max_bytes=16 * 1024 * 1024))
    monkeypatch.setattr(mc, "SHOWN", cache.ValueCache())
    monkeypatch.setattr(mc.RENDERER, "render", no_render)

    def no_table(*args, **kwargs):
        raise AssertionError("a table was computed although its figures and count were stored")

    monkeypatch.setattr(mc, "_table", no_table)
    restarted = figstore.FigureStore(tmp_path)
    mc.prewarm({"v2": snap}, [view], "v2", store=restarted).join(timeout=300)
    for w in view.FIGURES:
        assert mc.FIGURES.get(mc._figure_key(view, w, view.Params.defaults(snap), snap)) == rendered[w]
    assert restarted.reads == len(view.FIGURES) + 1 and restarted.writes == 0
    # the figures equal a fresh render of the same selection, and the count the table's
    params = view.Params.defaults(snap)
    tbl = view.table(snap, params)
    assert mc.SHOWN.get(mc._table_key(view, snap, params)) == tbl.attrs["models_shown"] > 0
    for w in view.FIGURES:
        assert rendered[w] == render.figure_bytes(view.figure(tbl, params, w), "png")


def test_prewarm_keeps_the_figures_a_session_drew_first(snapshot_dir, tmp_path, monkeypatch):
    """The first visitor's default tab is drawn by the session, before prewarm reaches it:
    prewarm must still keep those figures, or every restart draws them again."""
    from modules import common as mc

    snap = store.read_snapshot(snapshot_dir, "v2")
    view = by_id("official")
    params = view.Params.defaults(snap)
    monkeypatch.setattr(mc, "_INFLIGHT", {})
    monkeypatch.setattr(mc, "_LAST_RENDER", [0.0])
    monkeypatch.setattr(mc, "PREWARM_QUIET_S", 0.0)
    monkeypatch.setattr(mc, "PREWARM_START_S", 0.0)
    monkeypatch.setattr(mc, "TABLES", cache.TableCache(max_bytes=16 * 1024 * 1024))
    monkeypatch.setattr(mc, "SHOWN", cache.ValueCache())
    monkeypatch.setattr(mc, "FIGURES", render.FigureCache(max_bytes=16 * 1024 * 1024))
    tbl = view.table(snap, params)
    by_session = {w: render.figure_bytes(view.figure(tbl, params, w), "png") for w in view.FIGURES}
    for w, png in by_session.items():  # what a session's plot output leaves in the cache
        mc.FIGURES.get_or_render(mc._figure_key(view, w, params, snap), lambda png=png: png)

    def no_render(*args, **kwargs):
        raise AssertionError("a figure already in the cache was rendered again")

    monkeypatch.setattr(mc.RENDERER, "render", no_render)
    kept = figstore.FigureStore(tmp_path)
    mc.prewarm({"v2": snap}, [view], "v2", store=kept).join(timeout=300)
    assert kept.writes == len(view.FIGURES) + 1  # and the table's count of models
    # the store now holds the first tab: the next start's workers may wait
    assert kept.holds_first_tab({"v2": snap.version}, "v2")
    restarted = figstore.FigureStore(tmp_path)  # the next start reads the session's renders
    for w in view.FIGURES:
        assert restarted.get(mc._figure_key(view, w, params, snap)) == by_session[w]
    # a third start puts nothing: the files are there already
    monkeypatch.setattr(mc, "FIGURES", render.FigureCache(max_bytes=16 * 1024 * 1024))
    monkeypatch.setattr(mc, "SHOWN", cache.ValueCache())
    third = figstore.FigureStore(tmp_path)
    mc.prewarm({"v2": snap}, [view], "v2", store=third).join(timeout=300)
    assert third.writes == 0 and third.reads == len(view.FIGURES) + 1


def test_peek_counts_no_hit_and_keeps_the_order():
    c = cache.BoundedLRU(max_bytes=2)
    c._store("a", b"1", 1)
    c._store("b", b"2", 1)
    assert c.peek("a") == b"1" and c.peek("zz") is None and c.hits == 0
    c._store("c", b"3", 1)  # "a" is still the least recently used: evicted
    assert "a" not in c and "b" in c and "c" in c


def test_the_first_tab_marker_is_for_this_code_board_and_data(tmp_path, monkeypatch):
    versions = {"v1": "aaaaaaaaaaaa", "v2": "bbbbbbbbbbbb"}
    s = figstore.FigureStore(tmp_path / "not yet made")
    assert not s.holds_first_tab(versions, "v2")
    s.mark_first_tab(versions, "v2")
    assert figstore.FigureStore(tmp_path / "not yet made").holds_first_tab(versions, "v2")
    assert not s.holds_first_tab(versions, "v1")  # another default board
    assert not s.holds_first_tab({**versions, "v2": "cccccccccccc"}, "v2")  # rebuilt data
    monkeypatch.setattr(figstore, "_FINGERPRINT", ["other code"])
    assert not s.holds_first_tab(versions, "v2")
    s.mark_first_tab(versions, "v2")  # the other code's marker replaces the old one
    assert len([p for p in (tmp_path / "not yet made").iterdir() if p.name.startswith(figstore.FIRST_TAB)]) == 1
    assert not figstore.FigureStore(None).holds_first_tab(versions, "v2")


def test_manifest_versions_are_the_snapshots_versions(snapshot_dir, tmp_path):
    got = figstore.manifest_versions(snapshot_dir)
    assert got == {b: store.read_snapshot(snapshot_dir, b).version for b in ("v1", "v2", "hub")}
    assert all(len(v) == 12 for v in got.values())
    for board, text in (("v1", "{not json"), ("v2", '{"models_sha256": "0123456789abcdef"}')):
        folder = tmp_path / board / "snapshots" / "20250101T000000Z-0123456789ab"
        folder.mkdir(parents=True)
        (folder / "models.parquet").write_bytes(b"")  # only the manifest is read
        (folder / "manifest.json").write_text(text)
    assert figstore.manifest_versions(tmp_path) == {"v2": "0123456789ab"}
