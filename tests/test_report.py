"""scripts/report.py: a week's report says what the What Changed tab says, and says it the
same way twice; every week of the history gets its report. Counts are checked against the
raw weekly files (tests/test_history.raw), the text against the tab's own functions."""

from __future__ import annotations

import io
import subprocess
import sys

import pandas as pd
import pytest

from llmtrends import report
from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import changes as view
from llmtrends.views import provenance
from tests.conftest import REPO_ROOT
from tests.test_history import raw

FILES = {"report.md", "run.json", "changes.csv", "board_size.png", "frontier.png",
         *(f"{s}.csv" for s in report.CSV_SECTIONS)}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "report.py"), *args],
                          capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)


def test_a_weeks_report_twice(snapshot_dir, shared_data, tmp_path):
    args = ["--board", "v2", "--data", str(snapshot_dir), "--from", "2025-03-09", "--to", "2025-03-16"]
    for name in ("a", "b"):
        done = cli(*args, "--out", str(tmp_path / name))
        assert done.returncode == 0, done.stderr
    a, b = tmp_path / "a", tmp_path / "b"
    assert {p.name for p in a.iterdir()} == FILES
    for name in FILES - {"run.json"}:  # only the run's own time differs
        assert (a / name).read_bytes() == (b / name).read_bytes(), name

    snap = store.read_snapshot(snapshot_dir, "v2")
    params = view.Params.from_inputs({"first": "2025-03-09", "second": "2025-03-16"}, snap)
    tbl = view.table(snap, params)
    text = (a / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# Leaderboard v2: what changed from 2025-03-09 to 2025-03-16\n")
    bullets = [line[2:] for line in text.splitlines() if line.startswith("- ")]
    assert bullets == view.summary_lines(tbl)
    assert "| Model | Type | Size class | Reason | Average then | Rank then |" in text
    assert "renamed to meta-llama/Llama-3.1-70B-Instruct" in text
    assert "![Models on the board at each snapshot, by type](board_size.png)" in text
    assert (a / "changes.csv").read_text(encoding="utf-8") == provenance.table_csv(tbl)
    assert (a / "board_size.png").read_bytes() == render.figure_bytes(
        view.figure(tbl, params, "board_size"), "png", dpi=report.DEFAULT_DPI)

    old, new = raw(shared_data, "2025-03-09"), raw(shared_data, "2025-03-16")
    entered = pd.read_csv(a / "entered.csv")
    left = pd.read_csv(a / "left.csv")
    assert list(entered.columns) == view.SECTION_COLUMNS["entered"]
    assert set(entered["repo_id"].str.lower()) == set(new.index) - set(old.index)
    assert set(left["repo_id"].str.lower()) == set(old.index) - set(new.index)
    assert (left["reason"] == "renamed").sum() == 3 and (left["reason"] == "removed").sum() == 6
    shown = sum(1 for line in text.split("## Models that entered")[1].splitlines() if line.startswith("| ") and "Model" not in line)
    assert shown == view.ENTERED_SHOWN
    assert f"… and {len(entered) - view.ENTERED_SHOWN:,} more in entered.csv." in text


def test_every_week_of_the_history(snapshot_dir, tmp_path):
    snap = store.read_snapshot(snapshot_dir, "v2")
    days = [d.isoformat() for d in view.history_of(snap).days]
    runs = report.write_every_week(snap, tmp_path, dpi=30)
    assert [(r["from"], r["to"]) for r in runs] == list(zip(days, days[1:]))  # weekly files: each with the previous
    index = (tmp_path / report.INDEX_FILE).read_text(encoding="utf-8")
    assert index.count("](") == 13 and index.index("2025-03-21/report.md") < index.index("2024-12-22/report.md")
    for d in days[1:]:
        assert {p.name for p in (tmp_path / d).iterdir()} == FILES
    rescored = (tmp_path / "2025-02-16" / "report.md").read_text(encoding="utf-8")
    assert "The board was re-scored" in rescored and "Not listed: the board was re-scored." in rescored
    summary = pd.read_csv(io.StringIO((tmp_path / "2025-02-16" / "summary.csv").read_text()), dtype=str)
    assert dict(zip(summary["measure"], summary["value"]))["rescored"] == "yes"
    for d in ("2025-02-22", "2025-03-16"):
        assert "re-scored" not in (tmp_path / d / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("args,code,message", [
    (["--board", "v1", "--every-week"], 1, "single snapshot"),
    (["--board", "v2", "--from", "2025-03-10"], 1, "--from 2025-03-10: not a day of the v2 history"),
    (["--board", "v2", "--from", "2025-03-16", "--to", "2025-03-16"], 1, "two different snapshots"),
    (["--board", "v2", "--every-week", "--from", "2025-03-16"], 2, "takes no --from/--to"),
])
def test_report_errors_are_one_line(snapshot_dir, tmp_path, args, code, message):
    done = cli(*args, "--data", str(snapshot_dir), "--out", str(tmp_path / "out"))
    assert done.returncode == code and message in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
