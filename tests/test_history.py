"""A board's history and the What Changed view, checked against the 14 real weekly v2 files.

Expected values are worked out here from the raw parquet files with plain pandas (flagged
rows out, one row per lower-cased repository id with its best average, size classes from
``#Params (B)``), never through llmtrends. The session's ``snapshot_dir`` holds the v2
history built from the same files (tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmtrends.pipeline import history, runner, providers, store
from llmtrends.views import changes as view
from llmtrends.views import inputs
from tests.conftest import REPO_ROOT, v2_history

AVG = "Average ⬆️"
SCORES = [AVG, "IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO"]


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def raw(shared_data: Path, when: str) -> pd.DataFrame:
    """The board on a day from its file: flagged rows out, one row per lower-cased id (the best average)."""
    f = pd.read_parquet(v2_history(shared_data) / f"{when}.parquet")
    f = f.loc[~f["Flagged"].astype(bool)]
    f = f.assign(key=f["fullname"].str.strip().str.lower())
    f = f.sort_values(AVG, ascending=False, kind="mergesort").drop_duplicates("key")
    params = f["#Params (B)"]
    size = np.select([params <= 0, params <= 9, params <= 40], [None, "Small", "Medium"], "Large")
    return f.assign(size=np.where(params.isna(), None, size)).set_index("key")


@pytest.fixture(scope="module")
def v2(snapshot_dir):
    return store.read_snapshot(snapshot_dir, "v2")


def compare(snap, first: str, second: str) -> pd.DataFrame:
    return view.table(snap, view.Params.from_inputs({"first": first, "second": second}, snap))


def keys(tbl: pd.DataFrame, section: str) -> set[str]:
    return {r.lower() for r in view.section(tbl, section)["repo_id"]}


# --------------------------------------------------------------------------- the history


def test_one_dated_snapshot_per_file_and_the_current_one_is_not_counted_twice(snapshot_dir, shared_data):
    files = sorted(p.stem for p in v2_history(shared_data).glob("*.parquet"))
    assert len(files) == 14 and files[0] == "2024-12-15" and files[-1] == "2025-03-21"
    hist = history.load(snapshot_dir, "v2")
    assert [d.isoformat() for d in hist.days] == files
    # 15 stored snapshots: the 14 dated ones and the current one, built from the final file
    # (no date of its own), whose content is the 2025-03-21 snapshot's
    stored = store.list_snapshots(snapshot_dir, "v2")
    current = [s for s in stored if s.current]
    assert len(stored) == 15 and len(current) == 1 and "as_of" not in current[0].manifest
    assert current[0].manifest["models_sha256"] == hist.entry(day("2025-03-21")).manifest["models_sha256"]
    assert current[0].id not in {e.snapshot_id for e in hist.entries}
    # the counts each snapshot reports are the files' own
    for e in hist.entries:
        assert e.models_count == len(raw(shared_data, e.day.isoformat()))


def test_the_official_providers_column_appears_on_2025_01_12_and_is_unknown_before(snapshot_dir, shared_data):
    has_column = {p.stem: "Official Providers" in pd.read_parquet(p).columns
                  for p in sorted(v2_history(shared_data).glob("*.parquet"))}
    first_with = min(d for d, yes in has_column.items() if yes)
    assert first_with == "2025-01-12" and not any(has_column[d] for d in has_column if d < first_with)
    hist = history.load(snapshot_dir, "v2")
    for e in hist.entries:
        lacking = not has_column[e.day.isoformat()]
        assert e.missing_columns == (("Official Providers",) if lacking else ())
        models = pd.read_parquet(e.path / store.MODELS_FILE, columns=["namespace", "repo_id", "official"])
        if lacking:  # missing, not false: and the views fall back to the curated list for all of them
            assert models["official"].isna().all()
            assert (providers.resolve_official(models)["official_source"] == providers.SOURCE_LIST).all()
        else:
            assert models["official"].notna().all() and models["official"].any()
    v2 = store.read_snapshot(snapshot_dir, "v2")
    lines = view.summary_lines(compare(v2, "2025-01-05", "2025-01-12"))
    assert any("gained the column(s) Official Providers" in line for line in lines)
    assert not any("Official Providers" in line for line in view.summary_lines(compare(v2, "2025-01-12", "2025-01-19")))


# --------------------------------------------------------------------------- entered, left


@pytest.mark.parametrize("first,second", [("2025-03-09", "2025-03-16"), ("2025-01-05", "2025-01-12"),
                                          ("2024-12-15", "2025-03-21"), ("2025-02-08", "2025-02-16")])
def test_entered_and_left_are_the_set_differences_of_repository_ids(v2, shared_data, first, second):
    a, b = raw(shared_data, first), raw(shared_data, second)
    tbl = compare(v2, first, second)
    assert keys(tbl, "entered") == set(b.index) - set(a.index)
    assert keys(tbl, "left") == set(a.index) - set(b.index)
    m = view.measures(tbl)
    assert int(m["models_from"]) == len(a) and int(m["models_to"]) == len(b)
    assert int(m["common"]) == len(set(a.index) & set(b.index))


def test_a_precision_that_left_is_not_a_model_that_left(v2, shared_data):
    # in the week to 2025-01-12 one (model, precision) entry left the file, but its model
    # stayed on the board in another precision: no repository left
    rows = {w: set(zip(pd.read_parquet(v2_history(shared_data) / f"{w}.parquet")["fullname"],
                       pd.read_parquet(v2_history(shared_data) / f"{w}.parquet")["Precision"]))
            for w in ("2025-01-05", "2025-01-12")}
    gone = rows["2025-01-05"] - rows["2025-01-12"]
    assert len(gone) == 1
    (name, _), = gone
    assert name in {n for n, _ in rows["2025-01-12"]}
    tbl = compare(v2, "2025-01-05", "2025-01-12")
    assert keys(tbl, "left") == set() and "No model left the board." in view.summary_lines(tbl)


def test_the_nine_models_that_left_in_march_removed_or_renamed(v2, shared_data):
    a, b = raw(shared_data, "2025-03-09"), raw(shared_data, "2025-03-16")
    left, entered = a.loc[sorted(set(a.index) - set(b.index))], b.loc[sorted(set(b.index) - set(a.index))]
    assert len(left) == 9
    # renamed: the very same seven scores listed under one new id
    same = left.reset_index().merge(entered.reset_index(), on=SCORES, suffixes=("_old", "_new"))
    expected = dict(zip(same["fullname_old"], same["fullname_new"]))
    assert expected == {"meta-llama/Meta-Llama-3.1-70B": "meta-llama/Llama-3.1-70B",
                        "meta-llama/Meta-Llama-3.1-70B-Instruct": "meta-llama/Llama-3.1-70B-Instruct",
                        "EpistemeAI/DeepThink-Phi4": "EpistemeAI/DeepThinkers-Phi4"}
    tbl = compare(v2, "2025-03-09", "2025-03-16")
    gone = view.section(tbl, "left").set_index("repo_id")
    assert set(gone.index[gone["reason"] == "renamed"]) == set(expected)
    assert dict(gone.loc[list(expected), "renamed"]) == expected
    assert set(gone.index[gone["reason"] == "removed"]) == set(left["fullname"]) - set(expected)
    came = view.section(tbl, "entered").set_index("repo_id")
    assert set(came.index[came["reason"] == "renamed"]) == set(expected.values())
    # new models per type leave the renamed ones out
    new = view.section(tbl, "new_by_type").set_index("type")["models"]
    assert int(new.sum()) == len(entered) - 3
    assert "9 models left: 3 renamed, 6 removed from the board." in view.summary_lines(tbl)
    # the ranks on the board that day: 1 + how many models had a strictly better average
    for repo, row in gone.iterrows():
        assert row["rank_from"] == 1 + int((a[AVG] > a.loc[repo.lower(), AVG]).sum())


def test_a_model_flagged_in_the_later_snapshot_left_as_flagged(tmp_path, shared_data):
    # MADE-UP DATA: two real weekly files, the later one edited to flag one model that was on
    # the board the week before (no model becomes flagged in the real history)
    folder = tmp_path / "history"
    folder.mkdir()
    shutil.copy(v2_history(shared_data) / "2025-03-09.parquet", folder)
    later = pd.read_parquet(v2_history(shared_data) / "2025-03-16.parquet")
    victim = "rombodawg/Rombos-LLM-V2.5-Qwen-32b"
    assert (later["fullname"] == victim).sum() >= 1
    later.loc[later["fullname"] == victim, "Flagged"] = True
    later.to_parquet(folder / "2025-03-16.parquet", index=False)
    out = tmp_path / "out"
    built = history.build_from_folder(folder, "v2", out)
    assert [r.manifest["as_of"] for r in built.written] == ["2025-03-09", "2025-03-16"]
    assert built.current == built.written[-1].path.name  # the board had no snapshot: the latest is served
    snap = store.read_snapshot(out, "v2")
    tbl = compare(snap, "2025-03-09", "2025-03-16")
    gone = view.section(tbl, "left").set_index("repo_id")
    assert gone.loc[victim, "reason"] == "flagged"
    assert (gone["reason"] == "flagged").sum() == 1
    assert len(gone) == 10  # the nine real ones and the flagged one
    assert view.measures(tbl)["left_flagged"] == "1"
    assert any("1 flagged" in line for line in view.summary_lines(tbl))


# --------------------------------------------------------------------------- leaders, movers


@pytest.mark.parametrize("first,second", [("2025-03-09", "2025-03-16"), ("2025-01-05", "2025-01-12"),
                                          ("2024-12-15", "2025-03-21")])
def test_the_leader_of_each_size_class_at_both_dates(v2, shared_data, first, second):
    tbl = compare(v2, first, second)
    leaders = view.section(tbl, "leader").set_index("size_class")
    for size in ("Small", "Medium", "Large"):
        for when, name_col, avg_col in ((first, "previous_leader", "average_from"), (second, "repo_id", "average_to")):
            board = raw(shared_data, when)
            best = board.loc[board["size"] == size, AVG]
            assert leaders.loc[size, avg_col] == pytest.approx(best.max())
            assert leaders.loc[size, name_col].lower() in set(best.index[best == best.max()])
        assert leaders.loc[size, "average_change"] == pytest.approx(
            leaders.loc[size, "average_to"] - leaders.loc[size, "average_from"])


def test_a_leader_whose_size_class_changed_is_said_so(v2, shared_data):
    # the Small leader of 2025-01-05 is listed with more parameters a week later (Medium)
    a, b = raw(shared_data, "2025-01-05"), raw(shared_data, "2025-01-12")
    small = a.loc[a["size"] == "Small", AVG]
    before = small.idxmax()
    assert b.loc[before, "size"] == "Medium"
    tbl = compare(v2, "2025-01-05", "2025-01-12")
    row = view.section(tbl, "leader").set_index("size_class").loc["Small"]
    assert row["reason"] == "previous leader now Medium"
    assert any("is now Medium" in line and line.startswith("Small") for line in view.summary_lines(tbl))


def test_biggest_movers_by_rank_among_the_models_at_both_dates(v2, shared_data):
    a, b = raw(shared_data, "2025-03-09"), raw(shared_data, "2025-03-16")
    both = sorted(set(a.index) & set(b.index))
    then, now = a.loc[both, AVG], b.loc[both, AVG]
    moved = (now - then).abs() > 1e-6
    rank_then, rank_now = then.rank(ascending=False, method="min"), now.rank(ascending=False, method="min")
    expected = pd.DataFrame({"change": (rank_then - rank_now)[moved], "avg": (now - then)[moved]})
    expected = expected.assign(k=-expected["change"].abs(), a=-expected["avg"].abs()).sort_values(["k", "a"])
    tbl = compare(v2, "2025-03-09", "2025-03-16")
    movers = view.section(tbl, "mover")
    assert int(view.measures(tbl)["average_changed"]) == int(moved.sum()) == 6
    assert [r.lower() for r in movers["repo_id"]] == list(expected.index[:view.MOVERS])
    assert list(movers["rank_change"]) == [int(v) for v in expected["change"][:view.MOVERS]]
    assert movers["average_change"].to_numpy() == pytest.approx(expected["avg"][:view.MOVERS].to_numpy())
    top = movers.iloc[0]
    assert top["rank_from"] == rank_then[top["repo_id"].lower()] and top["rank_to"] == rank_now[top["repo_id"].lower()]


def test_the_rescoring_of_2025_02_16_is_said_not_listed(v2, shared_data):
    a, b = raw(shared_data, "2025-02-08"), raw(shared_data, "2025-02-16")
    both = sorted(set(a.index) & set(b.index))
    changed = int(((b.loc[both, AVG] - a.loc[both, AVG]).abs() > 1e-6).sum())
    assert changed / len(both) > 0.9  # thousands of averages at once
    tbl = compare(v2, "2025-02-08", "2025-02-16")
    m = view.measures(tbl)
    assert m["rescored"] == "yes" and int(m["average_changed"]) == changed and int(m["common"]) == len(both)
    assert view.section(tbl, "mover").empty
    line = next(line for line in view.summary_lines(tbl) if "re-scored" in line)
    assert f"{changed:,} of the {len(both):,} models" in line
    assert view.section_cells(tbl, "mover")[2] == "Not listed: the board was re-scored."
    # any range spanning that week was re-scored; none of the other weeks was
    assert view.measures(compare(v2, "2024-12-15", "2025-03-21"))["rescored"] == "yes"
    days = [d.isoformat() for d in view.history_of(v2).days]
    for first, second in zip(days, days[1:]):
        expected = "yes" if second == "2025-02-16" else "no"
        assert view.measures(compare(v2, first, second))["rescored"] == expected, (first, second)


def test_new_models_per_type_count_the_models_that_entered(v2, shared_data):
    a, b = raw(shared_data, "2025-01-19"), raw(shared_data, "2025-01-26")
    entered = b.loc[sorted(set(b.index) - set(a.index))]
    expected = entered["Type"].str.split(" ", n=1).str[1].value_counts()
    got = view.section(compare(v2, "2025-01-19", "2025-01-26"), "new_by_type").set_index("type")["models"]
    assert {t: int(n) for t, n in got.items() if n} == {t: int(n) for t, n in expected.items()}


# --------------------------------------------------------------------------- parameters


def test_default_pair_is_the_latest_and_the_one_a_week_before():
    d = [day(x) for x in ("2025-03-02", "2025-03-09", "2025-03-16", "2025-03-21")]
    assert view.default_pair(d) == (day("2025-03-16"), day("2025-03-21"))  # 5 days off beats 12
    daily = [day("2025-03-01") + dt.timedelta(days=i) for i in range(20)]
    assert view.default_pair(daily) == (day("2025-03-13"), day("2025-03-20"))
    assert view.default_pair([day("2025-01-01"), day("2025-03-01")]) == (day("2025-01-01"), day("2025-03-01"))
    assert view.default_pair([day("2025-01-01")]) == (day("2025-01-01"), day("2025-01-01"))
    # equally far on both sides: the earlier one
    assert view.default_pair([day("2025-03-04"), day("2025-03-06"), day("2025-03-12")])[0] == day("2025-03-04")


def test_defaults_and_either_order(v2):
    d = view.Params.defaults(v2)
    assert (d.start, d.end) == (day("2025-03-16"), day("2025-03-21"))
    p = view.Params.from_inputs({"first": "2025-03-16", "second": "2025-01-12"}, v2)
    assert (p.start, p.end) == (day("2025-01-12"), day("2025-03-16"))
    assert view.Params.from_inputs({}, v2) == d


@pytest.mark.parametrize("forged", ["2025-03-10", "2099-01-01", "garbage", "", 7, ["2025-03-16"],
                                    {"x": 1}, "2025-03-16T00:00", "<script>alert(1)</script>"])
def test_forged_dates_are_rejected(v2, forged):
    with pytest.raises(inputs.InvalidInput):
        view.Params.from_inputs({"first": forged, "second": "2025-03-21"}, v2)
    with pytest.raises(inputs.InvalidInput):
        view.Params.from_inputs({"first": "2025-03-16", "second": forged}, v2)


def test_the_same_date_twice_and_params_of_another_history(v2):
    with pytest.raises(inputs.EmptySelection, match="two different"):
        view.Params.from_inputs({"first": "2025-03-16", "second": "2025-03-16"}, v2)
    p = view.Params.defaults(v2)
    with pytest.raises(inputs.InvalidInput):
        view.table(v2, view.Params(p.start, p.end, history="0" * 12))


def test_a_board_with_a_single_snapshot_says_so(snapshot_dir):
    v1 = store.read_snapshot(snapshot_dir, "v1")
    d = view.Params.defaults(v1)
    assert d.start == d.end and len(view.date_choices(v1)) == 1
    with pytest.raises(inputs.EmptySelection, match="single snapshot") as err:
        view.table(v1, d)
    assert len(str(err.value)) < 120 and "\n" not in str(err.value)
    with pytest.raises(inputs.EmptySelection, match="single snapshot"):
        view.Params.from_inputs({"first": d.start.isoformat(), "second": d.end.isoformat()}, v1)


def test_a_snapshot_held_in_memory_is_a_history_of_one_day(v2):
    held = store.Snapshot(board="v2", models=v2.models, commit_authors=None, manifest=dict(v2.manifest))
    hist = history.of_snapshot(held)
    assert len(hist.days) == 1 and len(hist.models(hist.days[0])) == len(v2.models)


# --------------------------------------------------------------------------- building


def test_a_rerun_skips_the_stored_days_and_a_broken_file_loses_nothing(tmp_path, shared_data):
    folder = tmp_path / "history"
    folder.mkdir()
    for name in ("2024-12-15.parquet", "2024-12-22.parquet"):
        shutil.copy(v2_history(shared_data) / name, folder)
    (folder / "README.txt").write_text("notes")
    # MADE-UP DATA: a file cut in half, dated after the two real ones
    (folder / "2024-12-29.parquet").write_bytes((v2_history(shared_data) / "2024-12-29.parquet").read_bytes()[:5000])
    out = tmp_path / "out"
    with pytest.raises(runner.PipelineError) as err:
        history.build_from_folder(folder, "v2", out)
    text = str(err.value)
    assert "2024-12-29" in text and "2 dated snapshots written before it are kept" in text and "\n" not in text
    assert [e.day.isoformat() for e in history.load(out, "v2").entries] == ["2024-12-15", "2024-12-22"]
    shutil.copy(v2_history(shared_data) / "2024-12-29.parquet", folder)
    built = history.build_from_folder(folder, "v2", out)
    assert built.skipped == ["2024-12-15", "2024-12-22"] and len(built.written) == 1
    assert built.ignored == ["README.txt"] and built.current is None
    assert [e.day.isoformat() for e in history.load(out, "v2").entries] == ["2024-12-15", "2024-12-22", "2024-12-29"]


def test_a_history_build_leaves_the_current_snapshot_alone(snapshot_dir):
    assert store.current_manifest(snapshot_dir, "v2").get("as_of") is None  # the final file's build


@pytest.mark.parametrize("names,message", [
    (["2025-13-01.parquet"], "is not a date"),
    (["2025-01-01.parquet", "2025-01-01.csv"], "two files for 2025-01-01"),
    (["notes.txt"], "no dated file"),
])
def test_bad_history_folders_are_one_line_errors(tmp_path, names, message):
    for name in names:
        (tmp_path / name).write_text("x")
    with pytest.raises(runner.PipelineError, match=message):
        history.dated_files(tmp_path)


class _Commit:
    def __init__(self, sha: str, when: str):
        self.commit_id, self.created_at = sha, dt.datetime.fromisoformat(when)


def test_the_last_revision_of_each_week_or_day_is_kept():
    commits = [_Commit("a" * 40, "2025-03-10T09:00:00+00:00"),  # Monday, ISO week 11
               _Commit("b" * 40, "2025-03-16T23:00:00+00:00"),  # Sunday, week 11: the week's last
               _Commit("c" * 40, "2025-03-17T00:30:00+01:00"),  # Sunday 23:30 UTC, week 11: later still
               _Commit("d" * 40, "2025-03-21T12:00:00+00:00"),  # week 12
               _Commit("e" * 40, "2025-03-21T18:00:00+00:00")]  # week 12, same day: the last
    weekly = history.pick_revisions(list(reversed(commits)), "week")
    assert [(d.isoformat(), c.commit_id[0]) for d, c in weekly] == [("2025-03-16", "c"), ("2025-03-21", "e")]
    daily = history.pick_revisions(commits, "day")
    assert [(d.isoformat(), c.commit_id[0]) for d, c in daily] == [
        ("2025-03-10", "a"), ("2025-03-16", "c"), ("2025-03-21", "e")]
    with pytest.raises(ValueError):
        history.pick_revisions(commits, "month")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "preprocess.py"), *args],
                          capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)


@pytest.mark.parametrize("args,message", [
    (["--board", "v2", "--history", "x", "--history-hub"], "not both"),
    (["--board", "v1", "--history-hub"], "use --board v2"),
    (["--board", "v2", "--history", "x", "--source", "y.parquet"], "--source"),
    (["--board", "v2", "--history", "x", "--keep", "3"], "--keep"),
])
def test_cli_history_bad_usage(tmp_path, args, message):
    done = run_cli(*args, "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_cli_history_from_a_folder(tmp_path, shared_data):
    folder = tmp_path / "h"
    folder.mkdir()
    for name in ("2025-01-05.parquet", "2025-01-12.parquet"):
        shutil.copy(v2_history(shared_data) / name, folder)
    done = run_cli("--board", "v2", "--history", str(folder), "--out", str(tmp_path / "out"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "wrote 2 dated snapshot(s) (2025-01-05 to 2025-01-12)" in done.stdout
    assert "Official Providers missing before 2025-01-12" in done.stdout
    missing = run_cli("--board", "v2", "--history", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "not a folder" in missing.stderr


def test_an_unreadable_snapshot_is_a_message_not_a_traceback(tmp_path, shared_data, caplog):
    folder = tmp_path / "h"
    folder.mkdir()
    for name in ("2025-01-05.parquet", "2025-01-12.parquet"):
        shutil.copy(v2_history(shared_data) / name, folder)
    out = tmp_path / "out"
    built = history.build_from_folder(folder, "v2", out)
    # MADE-UP DAMAGE: the earlier snapshot's table overwritten after the build
    (built.written[0].path / store.MODELS_FILE).write_bytes(b"not parquet")
    snap = store.read_snapshot(out, "v2")
    with pytest.raises(inputs.ViewError) as err:
        compare(snap, "2025-01-05", "2025-01-12")
    assert str(err.value) == "The v2 snapshot of 2025-01-05 could not be read (the error was logged)."
    assert str(built.written[0].path) in caplog.text
