"""Bad-input suite: malformed sources through the real command line.

Each case writes one malformed input (made from a small slice of the real files, in a
temporary folder), runs ``python scripts/preprocess.py`` on it with ``--out`` pointing at
a folder that already holds a good snapshot of both boards, and checks:

* exit code 1;
* exactly one line on stderr, starting with ``error: `` and naming the file (and the
  column where one is at fault), no traceback;
* nothing on stdout;
* the existing snapshot byte-for-byte untouched, and no temporary folder left behind.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from llmtrends.pipeline import store
from tests.conftest import REPO_ROOT, shared_data_dir, v1_leaderboard, v1_records, v2_parquet

DATA = shared_data_dir()  # raises at collection when the real data is missing
N = 40  # rows of the real files used to make the small inputs


def v1_slice() -> pd.DataFrame:
    return pd.read_csv(v1_leaderboard(DATA), sep=";", nrows=N)


def v2_slice() -> pd.DataFrame:
    return pd.read_parquet(v2_parquet(DATA)).head(N)


def hub_slice() -> pd.DataFrame:
    return pd.read_csv(v1_records(DATA) / "hub_models.csv", nrows=N)


def write_v1(frame: pd.DataFrame, path: Path, **kw) -> Path:
    frame.to_csv(path, sep=kw.pop("sep", ";"), index=False, **kw)
    return path


def records_dir(tmp: Path, hub: pd.DataFrame | None = None, commits: pd.DataFrame | None = None) -> Path:
    folder = tmp / "records"
    folder.mkdir()
    if hub is None:
        hub = hub_slice()
    hub.to_csv(folder / "hub_models.csv", index=False)
    if commits is None:
        shutil.copy(v1_records(DATA) / "repo_commits.csv", folder / "repo_commits.csv")
    else:
        commits.to_csv(folder / "repo_commits.csv", index=False)
    return folder


# --------------------------------------------------------------------------- the cases
# Each maker returns (cli args, the file the message must name, words it must contain).


def truncated_parquet(tmp):
    data = v2_parquet(DATA).read_bytes()
    path = tmp / "contents.parquet"
    path.write_bytes(data[: len(data) // 2])
    return ["--board", "v2", "--source", path], path, ["cannot read as .parquet"]


def parquet_that_is_csv(tmp):
    path = tmp / "contents.parquet"
    v2_slice().to_csv(path, index=False)
    return ["--board", "v2", "--source", path], path, ["cannot read as .parquet"]


def missing_column(tmp):
    path = write_v1(v1_slice().drop(columns=["HellaSwag"]), tmp / "leaderboard.csv")
    return ["--board", "v1", "--source", path], path, ["missing required column", "'HellaSwag'"]


def renamed_column(tmp):
    path = tmp / "contents.parquet"
    v2_slice().rename(columns={"Average ⬆️": "Average"}).to_parquet(path)
    return ["--board", "v2", "--source", path], path, ["missing required column", "'Average ⬆️'"]


def wrong_separator(tmp):
    path = write_v1(v1_slice(), tmp / "leaderboard.csv", sep=",")
    return ["--board", "v1", "--source", path], path, ["wrong delimiter", "';'-separated"]


def non_utf8(tmp):
    path = tmp / "leaderboard.csv"
    text = v1_slice().to_csv(sep=";", index=False).encode("utf-8")
    path.write_bytes(text.replace(b"paloalma", b"palo\xe9\xff", 1))
    return ["--board", "v1", "--source", path], path, ["not UTF-8"]


def score_abc(tmp):
    frame = v1_slice().astype({"MMLU": object})
    frame.loc[5, "MMLU"] = "abc"
    path = write_v1(frame, tmp / "leaderboard.csv")
    return ["--board", "v1", "--source", path], path, ["column 'MMLU'", "not a number", "row 7", "'abc'"]


def params_not_a_number(tmp):
    frame = v2_slice().astype({"#Params (B)": object})
    frame.loc[3, "#Params (B)"] = "7B"
    path = tmp / "contents.csv"
    frame.to_csv(path, index=False)
    return ["--board", "v2", "--source", path], path, ["column '#Params (B)'", "not a number", "'7B'"]


def future_date(tmp):
    frame = v2_slice()
    frame.loc[2, "Submission Date"] = "2099-12-31"
    path = tmp / "contents.parquet"
    frame.to_parquet(path)
    return ["--board", "v2", "--source", path], path, ["column 'Submission Date'", "date in the future", "'2099-12-31'"]


def unparseable_date(tmp):
    frame = v2_slice()
    frame.loc[9, "Upload To Hub Date"] = "13/45/2024"
    path = tmp / "contents.parquet"
    frame.to_parquet(path)
    return ["--board", "v2", "--source", path], path, ["column 'Upload To Hub Date'", "unparseable date", "row 10"]


def empty_file(tmp):
    path = tmp / "leaderboard.csv"
    path.write_bytes(b"")
    return ["--board", "v1", "--source", path], path, ["file is empty"]


def header_only(tmp):
    path = tmp / "leaderboard.csv"
    path.write_text(v1_slice().to_csv(sep=";", index=False).splitlines()[0] + "\n", encoding="utf-8")
    return ["--board", "v1", "--source", path], path, ["no rows"]


def duplicate_columns_csv(tmp):
    lines = v1_slice().to_csv(sep=";", index=False).splitlines()
    lines[0] = lines[0].replace(";Winogrande;", ";ARC;")
    path = tmp / "leaderboard.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["--board", "v1", "--source", path], path, ["duplicate column name", "ARC"]


def duplicate_columns_parquet(tmp):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(v2_slice(), preserve_index=False)
    names = ["GPQA" if n == "MUSR" else n for n in table.column_names]
    path = tmp / "contents.parquet"
    pq.write_table(table.rename_columns(names), path)
    return ["--board", "v2", "--source", path], path, ["duplicate column name", "GPQA"]


def directory_not_file(tmp):
    path = tmp / "contents.parquet"
    path.mkdir()
    return ["--board", "v2", "--source", path], path, ["is a directory"]


def missing_file(tmp):
    path = tmp / "no-such-file.csv"
    return ["--board", "v1", "--source", path], path, ["file not found"]


def boolean_maybe(tmp):
    frame = v1_slice().astype({"Merged": object})
    frame.loc[4, "Merged"] = "maybe"
    path = write_v1(frame, tmp / "leaderboard.csv")
    return ["--board", "v1", "--source", path], path, ["column 'Merged'", "not a boolean", "'maybe'"]


def bad_repository_id(tmp):
    frame = v1_slice()
    frame.loc[0, "fullname"] = "some org/model"
    path = write_v1(frame, tmp / "leaderboard.csv")
    return ["--board", "v1", "--source", path], path, ["column 'fullname'", "not a repository id"]


def no_scores(tmp):
    frame = v2_slice()
    frame["Average ⬆️"] = float("nan")
    path = tmp / "contents.parquet"
    frame.to_parquet(path)
    return ["--board", "v2", "--source", path], path, ["column 'Average ⬆️'", "no scores"]


def _v1_with_records(tmp, hub=None, commits=None):
    folder = records_dir(tmp, hub, commits)
    return ["--board", "v1", "--source", v1_leaderboard(DATA), "--enrich", "files", "--hub-records", folder], folder


def hub_broken_list(tmp):
    hub = hub_slice()
    hub.loc[3, "tags"] = "['transformers', 'llama'"
    args, folder = _v1_with_records(tmp, hub)
    return args, folder / "hub_models.csv", ["column 'tags'", "not a list literal", "row 5"]


def hub_malicious_list(tmp):
    hub = hub_slice()
    marker = tmp / "pwned"
    hub.loc[6, "datasets"] = f"__import__('os').system('touch {marker}')"
    args, folder = _v1_with_records(tmp, hub)
    return args, folder / "hub_models.csv", ["column 'datasets'", "not a list literal"]


def hub_missing_column(tmp):
    args, folder = _v1_with_records(tmp, hub_slice().drop(columns=["created_at"]))
    return args, folder / "hub_models.csv", ["missing required column", "'created_at'"]


def hub_future_date(tmp):
    hub = hub_slice()
    hub.loc[1, "created_at"] = "2199-01-01 00:00:00+00:00"
    args, folder = _v1_with_records(tmp, hub)
    return args, folder / "hub_models.csv", ["column 'created_at'", "date in the future"]


def commits_broken_authors(tmp):
    commits = pd.read_csv(v1_records(DATA) / "repo_commits.csv", nrows=N)
    commits.loc[2, "authors"] = "['alice', "
    args, folder = _v1_with_records(tmp, None, commits)
    return args, folder / "repo_commits.csv", ["column 'authors'", "not a list literal", "row 4"]


def commits_file_missing(tmp):
    args, folder = _v1_with_records(tmp)
    (folder / "repo_commits.csv").unlink()
    return args, folder / "repo_commits.csv", ["file not found"]


CASES = [truncated_parquet, parquet_that_is_csv, missing_column, renamed_column, wrong_separator,
         non_utf8, score_abc, params_not_a_number, future_date, unparseable_date, empty_file,
         header_only, duplicate_columns_csv, duplicate_columns_parquet, directory_not_file,
         missing_file, boolean_maybe, bad_repository_id, no_scores, hub_broken_list,
         hub_malicious_list, hub_missing_column, hub_future_date, commits_broken_authors,
         commits_file_missing]


# --------------------------------------------------------------------------- the check


def digest(folder: Path) -> dict[str, str]:
    """Every path under folder (hidden ones too) -> sha256 of its bytes ("dir" for folders)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def existing_snapshot(snapshot_dir, tmp_path) -> tuple[Path, dict[str, str]]:
    """A copy of the good two-board snapshot and the hashes of its files before the run."""
    out = tmp_path / "out"
    shutil.copytree(snapshot_dir, out)
    before = digest(out)
    current = {b: store.snapshot_path(out, b).relative_to(out).as_posix() for b in ("v1", "v2")}
    assert {"v1/CURRENT", f"{current['v1']}/models.parquet", f"{current['v1']}/manifest.json",
            f"{current['v1']}/commit_authors.parquet", "v2/CURRENT", f"{current['v2']}/models.parquet",
            f"{current['v2']}/manifest.json"} <= set(before)
    return out, before


@pytest.mark.parametrize("make", CASES, ids=[c.__name__ for c in CASES])
def test_bad_input_gives_one_line_and_leaves_snapshot(make, tmp_path, existing_snapshot):
    out, before = existing_snapshot
    work = tmp_path / "in"
    work.mkdir()
    args, named, words = make(work)
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "preprocess.py"), *map(str, args), "--out", str(out)],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
    )
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith(f"error: {named}"), line
    for word in words:
        assert word in line, (word, line)
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert digest(out) == before  # byte for byte, nothing added, nothing left half-written
    assert not (work / "pwned").exists()
