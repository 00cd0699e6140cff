"""Default figures drawn by the build and stored beside the snapshot (llmtrends/serving/default_figures.py).

A stored figure is served only for what it was drawn for (this code, these default
parameters, bytes matching their hash); a build draws them before its snapshot becomes
current; the command line draws them, skips them, or draws them again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llmtrends.pipeline import runner, store
from llmtrends.serving import default_figures, render
from llmtrends.views import by_id

REPO = Path(__file__).resolve().parent.parent
VIEWS = [by_id("type_popularity"), by_id("official")]  # two views: four figures, a few seconds


@pytest.fixture
def snap(snapshot_dir, tmp_path):
    """A copy of the real v2 snapshot, without stored figures, read back from its folder."""
    src = store.snapshot_path(snapshot_dir, "v2")
    dst = tmp_path / "v2" / "snapshots" / src.name
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(default_figures.FOLDER))
    (tmp_path / "v2" / "CURRENT").write_text(src.name + "\n")
    return store.read_snapshot(tmp_path, "v2")


def served(snap, views=VIEWS) -> dict[str, list[str]]:
    """The figures the app would take from the store at each view's defaults, by view."""
    got = {}
    for view in views:
        params = view.Params.defaults(snap)
        whiches = [w for w in view.FIGURES if default_figures.figure(snap, view, w, params) is not None]
        if whiches:
            got[view.ID] = whiches
    return got


def _fresh(view, snap, which) -> bytes:
    params = view.Params.defaults(snap)
    return render.figure_bytes(view.figure(view.table(snap, params), params, which), "png")


def test_a_build_stores_each_default_figure_and_reads_it_back(snap):
    assert default_figures.draw(snap, VIEWS) == 4
    folder = snap.path / default_figures.FOLDER
    index = json.loads((folder / default_figures.INDEX).read_text())
    assert sorted(index["views"]) == ["official", "type_popularity"]
    for view in VIEWS:
        params = view.Params.defaults(snap)
        assert default_figures.models_shown(snap, view, params) == view.table(snap, params).attrs["models_shown"]
        for which in view.FIGURES:
            data = default_figures.figure(snap, view, which, params)
            on_disk = (folder / f"{view.ID}.{which}.png").read_bytes()
            assert data == on_disk and data == _fresh(view, snap, which)
            assert index["views"][view.ID]["figures"][which]["sha256"] == hashlib.sha256(on_disk).hexdigest()


def test_figures_drawn_by_other_code_are_not_served(snap, monkeypatch):
    default_figures.draw(snap, VIEWS[:1])
    assert served(snap) == {"type_popularity": ["counts", "shares"]}
    monkeypatch.setattr(default_figures, "_FINGERPRINT", ["another version of the code"])
    assert served(snap) == {}


def test_the_fingerprint_covers_the_whole_package():
    # a view, the look, the contract and a reference table change what a figure shows
    covered = {str(p.relative_to(REPO)) for p in default_figures.fingerprinted_files()}
    for path in ("llmtrends/views/architecture_popularity.py", "llmtrends/views/look.py", "llmtrends/schema.py",
                 "llmtrends/releases.csv", "llmtrends/pipeline/lineage.py", "llmtrends/serving/render.py"):
        assert path in covered
    assert covered == {str(p.relative_to(REPO)) for p in (REPO / "llmtrends").rglob("*")
                       if p.suffix in (".py", ".csv") and p.is_file()}


def test_the_fingerprint_follows_the_drawing_libraries(monkeypatch):
    monkeypatch.setattr(default_figures, "_FINGERPRINT", [])
    first = default_figures.code_fingerprint()
    assert default_figures.code_fingerprint() == first and len(first) == 64
    real = default_figures.metadata.version
    monkeypatch.setattr(default_figures, "_FINGERPRINT", [])
    monkeypatch.setattr(default_figures.metadata, "version", lambda name: "0.0" if name == "plotnine" else real(name))
    assert default_figures.code_fingerprint() != first


def test_figures_for_other_defaults_are_not_served(snap):
    default_figures.draw(snap, VIEWS)
    path = snap.path / default_figures.FOLDER / default_figures.INDEX
    index = json.loads(path.read_text())
    index["views"]["official"]["params"] = "Params(types=('pretrained',))"  # made up: other defaults
    path.write_text(json.dumps(index))
    assert list(served(snap)) == ["type_popularity"]
    official = VIEWS[1]
    assert default_figures.models_shown(snap, official, official.Params.defaults(snap)) is None


def test_a_damaged_or_missing_figure_is_left_out(snap, caplog):
    default_figures.draw(snap, VIEWS)
    folder = snap.path / default_figures.FOLDER
    data = (folder / "type_popularity.counts.png").read_bytes()
    (folder / "type_popularity.counts.png").write_bytes(data[: len(data) // 2])  # cut short
    (folder / "official.ratios.png").unlink()
    with caplog.at_level(logging.WARNING, logger="llmtrends.serving.default_figures"):
        got = served(snap)
    assert got == {"type_popularity": ["shares"], "official": ["counts"]}
    assert "missing or damaged" in caplog.text


def test_an_index_drawn_again_is_read_again(snap):
    # the app reads an index once; a history build draws the current snapshot's again
    default_figures.draw(snap, VIEWS[:1])
    assert list(served(snap)) == ["type_popularity"]
    default_figures.draw(snap, VIEWS)
    assert list(served(snap)) == ["type_popularity", "official"]


@pytest.mark.parametrize("index", ["", "{not json", "[1, 2]", '{"code": "x"}'])
def test_a_missing_or_malformed_index_serves_nothing(snap, index, caplog):
    default_figures.draw(snap, VIEWS)
    path = snap.path / default_figures.FOLDER / default_figures.INDEX
    path.unlink() if index == "" else path.write_text(index)
    with caplog.at_level(logging.WARNING, logger="llmtrends.serving.default_figures"):
        assert served(snap) == {}
    if index:
        assert str(path) in caplog.text


def test_an_index_cannot_name_a_file_outside_its_folder(snap, tmp_path):
    default_figures.draw(snap, VIEWS[1:])
    path = snap.path / default_figures.FOLDER / default_figures.INDEX
    index = json.loads(path.read_text())
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not a figure")
    entry = index["views"]["official"]["figures"]["counts"]
    entry.update(file="../../../../secret.png", sha256=hashlib.sha256(b"not a figure").hexdigest())
    path.write_text(json.dumps(index))
    assert served(snap) == {"official": ["ratios"]}  # the name is taken as a name in the folder


def test_a_build_draws_them_before_its_snapshot_becomes_current(snapshot_dir, shared_data, tmp_path, monkeypatch):
    from tests.conftest import v2_parquet

    runner.run(board="v2", source=v2_parquet(shared_data), enrich="none", out=tmp_path)
    first = store.current_id(tmp_path, "v2")
    seen = []

    def draw_folder(folder, board, on_view=None):
        seen.append((board, Path(folder).name, store.current_id(tmp_path, "v2")))
        return 0
    monkeypatch.setattr(default_figures, "draw_folder", draw_folder)
    result = runner.run(board="v2", source=v2_parquet(shared_data), enrich="none", out=tmp_path, figures=True)
    assert seen == [("v2", result.path.name, first)]  # drawn while the previous one was current
    assert store.current_id(tmp_path, "v2") == result.path.name


def test_a_snapshot_whose_last_step_fails_never_becomes_current(tmp_path):
    import pandas as pd

    models = pd.DataFrame({"repo_id": ["made/up"], "type": ["pretrained"], "average": [1.0],
                           "created_at": [pd.Timestamp("2024-01-01")]})  # made up: one model
    kept = store.write_snapshot(tmp_path, "v1", models, None, {"source": "kept"})

    def fails(folder):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        store.write_snapshot(tmp_path, "v1", models, None, {"source": "new"}, before_current=fails)
    assert store.current_id(tmp_path, "v1") == kept.name
    assert [p.name for p in (tmp_path / "v1" / "snapshots").iterdir()] == [kept.name]


def test_the_command_line_draws_skips_and_redraws_them(shared_data, tmp_path):
    from tests.conftest import v2_parquet

    def cli(*args):
        return subprocess.run([sys.executable, "scripts/preprocess.py", *args, "--out", str(tmp_path), "--quiet"],
                              cwd=REPO, capture_output=True, text=True, timeout=600)

    out = cli("--board", "v2", "--source", str(v2_parquet(shared_data)), "--no-figures")
    assert out.returncode == 0, out.stderr
    folder = store.snapshot_path(tmp_path, "v2")
    assert not (folder / default_figures.FOLDER).exists()
    out = cli("--board", "v2", "--figures-only")
    assert out.returncode == 0, out.stderr
    index = json.loads((folder / default_figures.FOLDER / default_figures.INDEX).read_text())
    drawn = sum(len(e["figures"]) for e in index["views"].values())
    assert f"v2: drew {drawn} default figures beside snapshot {folder.name}" in out.stdout
    assert index["code"] == default_figures.code_fingerprint()
    # every view that has figures at its defaults on v2 (the explorer draws none)
    assert {"type_popularity", "official", "base_models", "releases"} <= set(index["views"])
    out = cli("--board", "v1", "--figures-only")
    assert out.returncode == 1 and "no v1 snapshot" in out.stderr
