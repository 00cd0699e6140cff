"""Values that cannot be right are refused, and a build that would gut a snapshot fails
(issue 26, items 4 and 7), through the real command line.

Each case changes one value of a small slice of the real files (in a temporary folder:
made-up values, said so by the case's name) and runs ``scripts/preprocess.py`` with
``--out`` holding a good snapshot of both boards (``existing_snapshot`` of
tests/test_bad_inputs.py). The run must exit 1 with one line naming the file, the column
and the row, and leave the previous snapshot byte for byte as it was.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from llmtrends.pipeline import store
from tests.conftest import REPO_ROOT
from tests.test_bad_inputs import digest, existing_snapshot, v1_slice, v2_slice, write_v1  # noqa: F401


def preprocess(args, out) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "preprocess.py"), *map(str, args),
                           "--out", str(out)], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)


def v2_file(frame: pd.DataFrame, tmp) -> list:
    path = tmp / "contents.parquet"
    frame.to_parquet(path)
    return ["--board", "v2", "--source", path]


def v1_file(frame: pd.DataFrame, tmp) -> list:
    return ["--board", "v1", "--source", write_v1(frame, tmp / "leaderboard.csv")]


# Each case returns (cli args, words the one line must contain). Rows: parquet rows count
# from 1, CSV rows from 2 (the header is line 1).


def v1_score_infinite(tmp):
    frame = v1_slice().astype({"ARC": object})
    frame.loc[3, "ARC"] = "inf"
    return v1_file(frame, tmp), ["column 'ARC'", "not a finite number", "row 5"]


def v2_params_infinite(tmp):
    frame = v2_slice()
    frame.loc[2, "#Params (B)"] = np.inf
    return v2_file(frame, tmp), ["column '#Params (B)'", "not a finite number", "row 3"]


def v1_score_1000(tmp):
    frame = v1_slice()
    frame.loc[7, "Average ⬆️"] = 1000.0
    return v1_file(frame, tmp), ["column 'Average ⬆️'", "outside the plausible values (from 0 to 100)", "row 9",
                                 "1000"]


def v2_score_minus_50(tmp):
    frame = v2_slice()
    frame.loc[11, "MMLU-PRO"] = -50.0
    return v2_file(frame, tmp), ["column 'MMLU-PRO'", "outside the plausible values (from 0 to 100)", "row 12",
                                 "-50"]


def v2_params_1e12(tmp):
    frame = v2_slice()
    frame.loc[0, "#Params (B)"] = 1e12
    return v2_file(frame, tmp), ["column '#Params (B)'", "outside the plausible values (at most 10000)", "row 1"]


def v2_negative_likes(tmp):
    frame = v2_slice()
    frame.loc[6, "Hub ❤️"] = -3
    return v2_file(frame, tmp), ["column 'Hub ❤️'", "outside the plausible values (at least 0)", "row 7"]


def v2_dates_as_integers(tmp):
    frame = v2_slice()
    # seconds since 1970 where the dataset has "YYYY-MM-DD": pandas would read 1970-01-01
    frame["Upload To Hub Date"] = 1_718_000_000 + np.arange(len(frame)) * 86_400
    return v2_file(frame, tmp), ["column 'Upload To Hub Date'", "a number, not a date", "row 1", "1718000000"]


def v2_date_1970(tmp):
    frame = v2_slice()
    frame.loc[4, "Submission Date"] = "1970-01-01"
    return v2_file(frame, tmp), ["column 'Submission Date'", "date before 2015-01-01", "row 5"]


def v2_date_before_1678(tmp):
    frame = v2_slice()
    frame.loc[8, "Upload To Hub Date"] = "1600-06-01"  # before pandas' nanosecond range
    # pandas 3 reads the day and refuses it as before 2015-01-01; pandas 2 cannot hold it
    # (nanoseconds) and refuses it as unparseable: one line naming the column, row and value
    return v2_file(frame, tmp), ["column 'Upload To Hub Date'", "row 9", "1600-06-01"]


def v2_every_row_flagged(tmp):
    frame = v2_slice()
    frame["Flagged"] = True
    return v2_file(frame, tmp), ["contents.parquet", "no model left", f"{len(frame)} rows loaded",
                                 f"{len(frame)} flagged"]


def v1_every_row_flagged(tmp):
    frame = v1_slice()
    frame["Flagged"] = False  # v1's Flagged is inverted: False means flagged
    return v1_file(frame, tmp), ["leaderboard.csv", "no model left"]


CASES = [v1_score_infinite, v2_params_infinite, v1_score_1000, v2_score_minus_50, v2_params_1e12,
         v2_negative_likes, v2_dates_as_integers, v2_date_1970, v2_date_before_1678, v2_every_row_flagged,
         v1_every_row_flagged]


@pytest.mark.parametrize("make", CASES, ids=[c.__name__ for c in CASES])
def test_an_implausible_value_is_refused_and_the_snapshot_kept(make, tmp_path, existing_snapshot):  # noqa: F811
    out, before = existing_snapshot
    work = tmp_path / "in"
    work.mkdir()
    args, words = make(work)
    proc = preprocess(args, out)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {args[3]}"), proc.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert digest(out) == before


def test_a_build_that_loses_most_of_the_snapshot_needs_allow_shrink(tmp_path, existing_snapshot):  # noqa: F811
    out, before = existing_snapshot
    kept_before = len(store.read_snapshot(out, "v1").models)
    work = tmp_path / "in"
    work.mkdir()
    frame = v1_slice()  # 40 real rows: a source cut short
    args = v1_file(frame, work)
    proc = preprocess(args, out)
    assert proc.returncode == 1, proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line and "--allow-shrink" in line and f"{kept_before:,}" in line, line
    assert digest(out) == before

    expected = frame.loc[frame["Flagged"], "fullname"].str.lower().nunique()  # unflagged, one per repository
    proc = preprocess(args + ["--allow-shrink", "--quiet"], out)
    assert proc.returncode == 0, proc.stderr
    assert len(store.read_snapshot(out, "v1").models) == expected
