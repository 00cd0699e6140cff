"""scripts/figures.py and llmtrends.figures: every view reproduced, deterministically.

The expectations are computed here from the view registry, the snapshot's manifest file
and the bytes on disk -- not from the record under test.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import re
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
from PIL import Image

import llmtrends
from llmtrends import figures
from llmtrends.pipeline import store
from llmtrends.views import VIEWS
from llmtrends.views import inputs

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "figures.py"
SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


def run_script(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600)
    return proc, time.perf_counter() - t0


def expected_params(params) -> dict:
    """Params as JSON, converted by hand: dates ISO, tuples as lists."""
    out = {}
    for key, value in dataclasses.asdict(params).items():
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = [v.isoformat() if isinstance(v, dt.date) else v for v in value]
        out[key] = value
    return out


def expected_entries() -> list[tuple[str, str | None]]:
    """(view, plot) of every figure in tab order; (view, None) for a view without figures."""
    return [(v.ID, w) for v in VIEWS for w in (tuple(v.FIGURES) or (None,))]


def csv_header(view, board: str) -> list[str]:
    """The documented CSV columns (board-specific when the view says so)."""
    return list(view.csv_columns(board)) if hasattr(view, "csv_columns") else list(view.CSV_COLUMNS)


def check_signature(path: Path, fmt: str) -> None:
    data = path.read_bytes()
    if fmt == "svg":
        head = data[:2000].decode("utf-8")
        assert head.startswith("<?xml") and "<svg" in head, path
        assert "<dc:date>" not in data.decode("utf-8"), f"{path}: SVG carries a date"
    else:
        assert data.startswith(SIGNATURES[fmt]), path
    if fmt == "pdf":
        assert b"/CreationDate" not in data, f"{path}: PDF carries a creation date"


@pytest.fixture(scope="module")
def v1_runs(snapshot_dir, tmp_path_factory):
    """The script run twice on the v1 snapshot into two folders (all views, all formats,
    the default number of worker processes)."""
    outs, times = [], []
    for i in (1, 2):
        out = tmp_path_factory.mktemp(f"figures_v1_run{i}")
        proc, seconds = run_script("--board", "v1", "--data", str(snapshot_dir), "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
        times.append(seconds)
    return outs, times


def test_v1_two_runs_are_byte_identical(v1_runs, capsys):
    (a, b), times = v1_runs
    with capsys.disabled():
        print(f"\n[figures] v1, all {len(VIEWS)} views, png+svg+pdf at 300 dpi: "
              f"run 1 {times[0]:.1f}s, run 2 {times[1]:.1f}s (target < 60 s)")
    names_a = sorted(p.name for p in a.iterdir())
    assert names_a == sorted(p.name for p in b.iterdir())
    for name in names_a:
        if name.endswith(".csv"):
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
    rec_a, rec_b = (a / figures.RECORD_FILE).read_bytes(), (b / figures.RECORD_FILE).read_bytes()
    ver_a, ver_b = (json.loads(r)["code_version"] for r in (rec_a, rec_b))
    if ver_a != ver_b:
        # a commit landed between the two runs (a shared working copy): the code version is
        # the only field allowed to differ, everything else must stay byte-identical
        rec_b = rec_b.replace(f'"code_version": "{ver_b}"'.encode(), f'"code_version": "{ver_a}"'.encode())
    assert rec_a == rec_b
    # the run time lives in run.json only
    assert "started_at" in json.loads((a / figures.RUN_FILE).read_text())
    assert "started_at" not in (a / figures.RECORD_FILE).read_text()


def test_v1_every_view_and_figure_present(v1_runs, snapshot_dir):
    (out, _), _ = v1_runs
    record = json.loads((out / figures.RECORD_FILE).read_text(encoding="utf-8"))
    snap = store.read_snapshot(snapshot_dir, "v1")
    manifest = json.loads((store.snapshot_path(snapshot_dir, "v1") / "manifest.json").read_text(encoding="utf-8"))
    models_sha = hashlib.sha256((store.snapshot_path(snapshot_dir, "v1") / "models.parquet").read_bytes()).hexdigest()

    assert record["snapshot"]["board"] == "v1"
    assert record["snapshot"]["models_sha256"] == models_sha == manifest["models_sha256"]
    assert record["snapshot"]["built_at"] == manifest["built_at"]
    assert record["snapshot"]["source"] == manifest["source"]
    # the package version plus the commit (HEAD may move in a shared working copy)
    assert record["code_version"].split("+")[0] == llmtrends.__version__
    assert record["formats"] == ["png", "svg", "pdf"] and record["dpi"] == 300

    assert [(e["view"], e["which"]) for e in record["figures"]] == expected_entries()
    titles = {v.ID: v.TITLE for v in VIEWS}
    for entry in record["figures"]:
        view = next(v for v in VIEWS if v.ID == entry["view"])
        assert entry["title"] == titles[view.ID]
        assert entry["params"] == expected_params(view.Params.defaults(snap))
        if entry["status"] == "skipped":
            assert entry["reason"] and entry["files"] == []
            assert not (out / f"{view.ID}_{entry['which']}.png").exists()
            continue
        assert entry["status"] == "ok"
        csv_path = out / f"{view.ID}.csv"
        assert hashlib.sha256(csv_path.read_bytes()).hexdigest() == entry["table"]["sha256"]
        rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
        assert rows[0] == csv_header(view, "v1"), view.ID
        assert len(rows) - 1 == entry["table"]["rows"]
        if entry["which"] is None:  # a table-only view
            assert entry["files"] == [] and not list(out.glob(f"{view.ID}_*"))
            continue
        assert [f["format"] for f in entry["files"]] == ["png", "svg", "pdf"]
        for f in entry["files"]:
            path = out / f["file"]
            assert f["file"] == f"{view.ID}_{entry['which']}.{f['format']}"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == f["sha256"]
            check_signature(path, f["format"])
        with Image.open(out / f"{view.ID}_{entry['which']}.png") as img:
            assert [round(d) for d in img.info["dpi"]] == [300, 300]
    assert any(e["status"] == "ok" for e in record["figures"])
    # v1 has no emissions: a CO2 view is skipped with its reason, not an error
    if "co2" in {v.ID for v in VIEWS}:
        assert "co2_kg" not in snap.models.columns or snap.models["co2_kg"].isna().all()
        co2 = [e for e in record["figures"] if e["view"] == "co2"]
        assert co2 and all(e["status"] == "skipped" and e["reason"] for e in co2)


def test_v2_run(snapshot_dir, tmp_path, capsys):
    proc, seconds = run_script("--board", "v2", "--data", str(snapshot_dir), "--out", str(tmp_path),
                               "--format", "png,pdf", "--dpi", "100", "--jobs", "1")
    with capsys.disabled():
        print(f"\n[figures] v2, all views, png+pdf at 100 dpi, one process: {seconds:.1f}s")
    assert proc.returncode == 0, proc.stderr
    assert "written to" in proc.stdout
    record = json.loads((tmp_path / figures.RECORD_FILE).read_text(encoding="utf-8"))
    assert record["snapshot"]["board"] == "v2"
    assert [(e["view"], e["which"]) for e in record["figures"]] == expected_entries()
    for entry in record["figures"]:
        if entry["status"] == "ok" and entry["which"] is not None:
            assert [f["format"] for f in entry["files"]] == ["png", "pdf"]
            for f in entry["files"]:
                check_signature(tmp_path / f["file"], f["format"])
            with Image.open(tmp_path / entry["files"][0]["file"]) as img:
                assert [round(d) for d in img.info["dpi"]] == [100, 100]
    assert not list(tmp_path.glob("*.svg"))


def test_views_subset(snapshot_dir, tmp_path):
    first = VIEWS[0]
    proc, _ = run_script("--board", "v1", "--data", str(snapshot_dir), "--out", str(tmp_path),
                         "--format", "svg", "--views", first.ID)
    assert proc.returncode == 0, proc.stderr
    record = json.loads((tmp_path / figures.RECORD_FILE).read_text(encoding="utf-8"))
    assert record["views"] == [first.ID]
    assert sorted(p.name for p in tmp_path.glob("*.svg")) == sorted(f"{first.ID}_{w}.svg" for w in first.FIGURES)
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == [f"{first.ID}.csv"]


@pytest.mark.parametrize("args, fragment", [
    (["--views", "no_such_view"], "unknown view(s) no_such_view"),
    (["--format", "gif"], "unknown figure format(s) gif"),
    (["--dpi", "0"], "dpi must be"),
    (["--jobs", "0"], "jobs must be a positive integer"),
])
def test_bad_arguments_fail_with_one_line(snapshot_dir, tmp_path, args, fragment):
    proc, _ = run_script("--board", "v1", "--data", str(snapshot_dir), "--out", str(tmp_path), *args)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and fragment in proc.stderr, proc.stderr
    assert not (tmp_path / figures.RECORD_FILE).exists()


def test_missing_snapshot_fails_with_one_line(tmp_path):
    proc, _ = run_script("--board", "v2", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: no v2 snapshot in") and proc.stderr.count("\n") == 1


def _fake_view(view_id: str, table_fn, figure_fn=None):
    @dataclasses.dataclass(frozen=True)
    class Params:
        start: dt.date
        picks: tuple

        @classmethod
        def defaults(cls, snap):
            return cls(start=dt.date(2024, 1, 2), picks=("a", "b"))

    return types.SimpleNamespace(ID=view_id, TITLE=f"Fake {view_id}", FIGURES=("only",), Params=Params,
                                 table=table_fn, figure=figure_fn, CSV_COLUMNS={})


def test_empty_selection_is_recorded_as_skipped(snapshot_dir, tmp_path, monkeypatch):
    def empty(snap, params):
        raise inputs.EmptySelection("This board has no CO2 figures.")

    monkeypatch.setattr(figures, "VIEWS", [_fake_view("fake_empty", empty)])
    snap = store.read_snapshot(snapshot_dir, "v1")
    record = figures.reproduce(snap, tmp_path, formats=["png"], dpi=50)
    assert record["figures"] == [{
        "view": "fake_empty", "title": "Fake fake_empty", "which": "only",
        "params": {"start": "2024-01-02", "picks": ["a", "b"]},
        "status": "skipped", "reason": "This board has no CO2 figures.", "files": [], "table": None,
    }]
    assert json.loads((tmp_path / figures.RECORD_FILE).read_text()) == record
    assert sorted(p.name for p in tmp_path.iterdir()) == [figures.RECORD_FILE, figures.RUN_FILE]


def test_failing_figure_is_an_error_naming_the_view(snapshot_dir, tmp_path, monkeypatch):
    import pandas as pd

    def tbl(snap, params):
        return pd.DataFrame({"x": [1]})

    def broken(table, params, which):
        raise KeyError("no_column")

    monkeypatch.setattr(figures, "VIEWS", [_fake_view("fake_broken", tbl, broken)])
    snap = store.read_snapshot(snapshot_dir, "v1")
    with pytest.raises(figures.FiguresError, match=r"view fake_broken, figure only \(png\): KeyError"):
        figures.reproduce(snap, tmp_path, formats=["png"], dpi=50)
    assert not (tmp_path / figures.RECORD_FILE).exists()


def test_paper_size_run(snapshot_dir, tmp_path):
    # the type popularity figures at a single column's width: their own file names, the
    # size in the record, a 3.5 in page
    proc, _ = run_script("--board", "v1", "--data", str(snapshot_dir), "--out", str(tmp_path), "--format", "pdf",
                         "--views", "type_popularity", "--size", "single", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    record = json.loads((tmp_path / figures.RECORD_FILE).read_text(encoding="utf-8"))
    assert record["size"] == "single"
    names = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert names == ["type_popularity_counts_single.pdf", "type_popularity_shares_single.pdf"]
    pdf = (tmp_path / names[0]).read_bytes()
    assert re.search(rb"/MediaBox\s*\[\s*0 0 252 ", pdf)
    bad, _ = run_script("--board", "v1", "--data", str(snapshot_dir), "--out", str(tmp_path), "--size", "poster")
    assert bad.returncode == 1 and "unknown figure size 'poster'" in bad.stderr
