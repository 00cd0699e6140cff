"""Effects of Important Models Release: release file, line filtering, labels, table, fidelity."""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from llmtrends.pipeline import releases as rel
from llmtrends.pipeline import store
from llmtrends.serving import render
from llmtrends.views import inputs
from llmtrends.views import releases as view

REPO = Path(__file__).resolve().parent.parent
HEADER = "model,date,organization,board_relevance,source_url\n"


def snap_of(rows: list[tuple[str, str, str | None]], board: str = "v1",
            placeholder: set[str] = frozenset({"old/1"})) -> store.Snapshot:
    """A snapshot from (repo_id, architecture_family, created date) rows."""
    models = pd.DataFrame(rows, columns=["repo_id", "architecture_family", "created_at"])
    models["created_at"] = pd.to_datetime(models["created_at"])
    models["created_at_placeholder"] = models["repo_id"].isin(placeholder)
    models["type"] = "pretrained"
    models["average"] = 50.0
    return store.Snapshot(board=board, models=models, commit_authors=None, manifest={})


# 2023-07-17 is a Monday; Llama 2 was released on Tuesday 2023-07-18 (a "both" release).
ROWS = [
    ("a/1", "LLama", "2023-07-10"), ("a/2", "LLama", "2023-07-18"), ("a/3", "LLama", "2023-07-19"),
    ("m/1", "Mistral", "2023-07-23"), ("m/2", "Mistral", "2023-07-31"),
    ("o/1", "Other", "2023-07-24"),
    ("old/1", "LLama", "2022-03-02"),
]


# --------------------------------------------------------------------------- the file


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "releases.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


GOOD = "Llama 2,2023-07-18,Meta,both,https://ai.meta.com/blog/llama-2/\n"


def test_packaged_file_loads_and_has_the_study_and_v2_releases():
    table = rel.load_releases()
    assert list(table.columns) == list(rel.RELEASE_COLUMNS)
    assert table["date"].is_monotonic_increasing
    by_name = dict(zip(table["model"], table["date"].dt.strftime("%Y-%m-%d")))
    for name, day in [("LLaMA", "2023-02-24"), ("Llama 2", "2023-07-18"), ("Mistral 7B", "2023-09-27"),
                      ("Mixtral 8x7B", "2023-12-11"), ("Phi-2", "2023-12-12"), ("Gemma", "2024-02-21"),
                      ("Llama 3", "2024-04-18"), ("Phi-3", "2024-04-23"), ("Qwen2.5", "2024-09-19"),
                      ("DeepSeek-R1", "2025-01-20"), ("Gemma 3", "2025-03-12")]:
        assert by_name[name] == day
    assert set(table["board_relevance"]) == {"v1", "both;hub", "v2;hub", "hub"}
    assert table["source_url"].str.startswith("https://").all()


def test_releases_csv_is_package_data():
    conf = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "*.csv" in conf["tool"]["setuptools"]["package-data"]["llmtrends"]
    assert rel.RELEASES_FILE == REPO / "llmtrends" / "releases.csv"


def test_loader_reads_a_good_file(tmp_path):
    path = write(tmp_path, GOOD + "LLaMA,2023-02-24,Meta,v1,http://example.org/x\n")
    table = rel.load_releases(path)
    assert table["model"].tolist() == ["LLaMA", "Llama 2"]  # sorted by date
    assert table["date"].dtype.kind == "M"


@pytest.mark.parametrize("body, needle", [
    ("Gemma,2024-13-45,Google,both,https://x.org\n", r"row 3 \(Gemma\): date '2024-13-45' is not a real day"),
    ("Gemma,2024/02/21,Google,both,https://x.org\n", r"row 3 \(Gemma\): date '2024/02/21' is not YYYY-MM-DD"),
    ("Gemma,21 Feb 2024,Google,both,https://x.org\n", r"row 3 \(Gemma\): date .* is not YYYY-MM-DD"),
    ("Gemma,2024-02-21,Google,v3,https://x.org\n", r"row 3 \(Gemma\): board_relevance 'v3'"),
    ("Gemma,2024-02-21,,both,https://x.org\n", r"row 3 \(Gemma\): column 'organization' is empty"),
    (",2024-02-21,Google,both,https://x.org\n", r"row 3: column 'model' is empty"),
    ("Gemma,2024-02-21,Google,both,javascript:alert(1)\n", r"row 3 \(Gemma\): source_url"),
    ("Gemma,2024-02-21,Google,both,https://x.org,extra\n", r"row 3: more fields"),
    ("llama 2,2023-07-19,Meta,both,https://x.org\n", r"row 3 \(llama 2\): model 'llama 2' is already listed in row 2"),
])
def test_loader_errors_name_the_row(tmp_path, body, needle):
    path = write(tmp_path, GOOD + body)
    with pytest.raises(rel.ReleasesError, match=needle) as err:
        rel.load_releases(path)
    assert str(path) in str(err.value)


def test_loader_errors_for_missing_columns_file_and_rows(tmp_path):
    with pytest.raises(rel.ReleasesError, match="missing column.*source_url"):
        rel.load_releases(write(tmp_path, "Gemma,2024-02-21,Google,both\n",
                                header="model,date,organization,board_relevance\n"))
    with pytest.raises(rel.ReleasesError, match="no releases listed"):
        rel.load_releases(write(tmp_path, ""))
    with pytest.raises(rel.ReleasesError, match="cannot read"):
        rel.load_releases(tmp_path / "nope.csv")


# --------------------------------------------------------------------------- line filtering


RELS = pd.DataFrame({
    "model": ["Edge start", "Inside", "Edge end", "After", "Only v2", "Before"],
    "date": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-01-31", "2024-02-01", "2024-01-10", "2023-12-31"]),
    "organization": "X",
    "board_relevance": ["both", "v1", "both", "both", "v2", "both"],
    "source_url": "https://x.org",
})


def test_release_lines_keep_both_range_edges_and_the_board():
    v1 = rel.releases_for(RELS, "v1", dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert v1["model"].tolist() == ["Edge start", "Inside", "Edge end"]
    v2 = rel.releases_for(RELS, "v2", dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert v2["model"].tolist() == ["Edge start", "Edge end", "Only v2"]
    one_day = rel.releases_for(RELS, "v1", dt.date(2024, 1, 31), dt.date(2024, 1, 31))
    assert one_day["model"].tolist() == ["Edge end"]


def test_view_release_lines_at_the_edges_of_the_packaged_list():
    on_day = view.Params(start=dt.date(2023, 7, 18), end=dt.date(2023, 7, 18), board="v1")
    assert view.release_lines(on_day)["model"].tolist() == ["Llama 2"]
    after = view.Params(start=dt.date(2023, 7, 19), end=dt.date(2023, 9, 26), board="v1")
    assert view.release_lines(after)["model"].tolist() == ["Falcon 180B", "Phi-1.5"]
    before = view.Params(start=dt.date(2023, 7, 19), end=dt.date(2023, 9, 26), board="v2")
    assert view.release_lines(before).empty  # both are v1-only


def test_label_layout_merges_same_day_and_never_overlaps():
    lines = rel.load_releases()
    start, end = dt.date(2023, 1, 1), dt.date(2025, 3, 13)
    lines = rel.releases_for(lines, "v2", start, end)
    layout = view.label_layout(lines, start, end)
    assert layout["date"].is_unique and len(layout) == lines["date"].nunique()
    for _, level in layout.groupby("level"):
        level = level.sort_values("left")
        assert (level["left"].iloc[1:].to_numpy() > level["right"].iloc[:-1].to_numpy()).all()
    # labels in the last quarter end at their line so they are not cut at the right edge
    last = layout.iloc[-1]
    assert last["ha"] == "right" and last["right"] == (pd.Timestamp("2025-03-12") - pd.Timestamp(start)).days

    same_day = pd.DataFrame({"model": ["Mixtral 8x7B", "Mistral 7B v0.2"],
                             "date": pd.to_datetime(["2023-12-11", "2023-12-11"])})
    merged = view.label_layout(same_day, dt.date(2023, 1, 1), dt.date(2024, 4, 15))
    assert merged["label"].tolist() == ["Mixtral 8x7B / Mistral 7B v0.2"]
    assert merged["level"].tolist() == [0] and merged["ha"].tolist() == ["left"]


def test_label_layout_stacks_close_labels_and_reuses_free_levels():
    lines = pd.DataFrame({"model": ["A", "B", "C"],
                          "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-02-20"])})
    layout = view.label_layout(lines, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert layout["level"].tolist() == [0, 1, 0]


# --------------------------------------------------------------------------- the table


def test_weekly_table_by_hand():
    snap = snap_of(ROWS)
    params = view.Params(start=dt.date(2023, 7, 10), end=dt.date(2023, 7, 30), aggregation="week", board="v1")
    tbl = view.table(snap, params)
    assert list(tbl.columns) == list(view.CSV_COLUMNS)
    assert tbl.attrs["models_shown"] == 5  # m/2 is after the end, old/1 is the placeholder
    got = {(r.period.strftime("%m-%d"), r.family): (r.new_models, r.period_total, r.releases)
           for r in tbl.itertuples()}
    assert len(got) == 9  # 3 weeks x 3 families (LLama, Mistral, Other)
    assert got[("07-10", "LLama")] == (1, 1, "")
    assert got[("07-17", "LLama")] == (2, 3, "Llama 2")
    assert got[("07-17", "Mistral")] == (1, 3, "Llama 2")
    assert got[("07-17", "Other")] == (0, 3, "Llama 2")
    assert got[("07-24", "Other")] == (1, 1, "")
    assert got[("07-24", "Mistral")] == (0, 1, "")


def test_monthly_table_and_defaults():
    snap = snap_of(ROWS)
    d = view.Params.defaults(snap)
    assert (d.start, d.end, d.aggregation, d.board) == (dt.date(2023, 7, 10), dt.date(2023, 7, 31), "week", "v1")
    p = view.Params(start=dt.date(2023, 7, 1), end=dt.date(2023, 8, 31), aggregation="month", board="v1")
    tbl = view.table(snap, p)
    july = tbl[tbl["period"] == pd.Timestamp("2023-07-01")]
    assert july.set_index("family")["new_models"].to_dict() == {"LLama": 3, "Mistral": 2, "Other": 1}
    assert set(july["releases"]) == {"Llama 2"}
    assert tbl[tbl["period"] == pd.Timestamp("2023-08-01")]["new_models"].sum() == 0


def test_a_board_with_more_families_than_colours_folds_the_smallest_into_other():
    # 14 named families F01..F14 with 15 down to 2 models each, plus 1 model in Other: the
    # 11 largest are kept and Other holds F12 (4), F13 (3), F14 (2) and its own model (1)
    rows = [(f"f{i}/{k}", f"F{i:02d}", "2024-03-05") for i in range(1, 15) for k in range(16 - i)]
    rows.append(("o/1", "Other", "2024-03-06"))
    snap = snap_of(rows)
    params = view.Params(start=dt.date(2024, 3, 4), end=dt.date(2024, 3, 10), aggregation="week", board="v1")
    tbl = view.table(snap, params)
    assert view.MAX_FAMILIES == 12
    assert tbl["family"].tolist() == [f"F{i:02d}" for i in range(1, 12)] + ["Other"]
    assert tbl["new_models"].tolist() == [15 - i for i in range(11)] + [4 + 3 + 2 + 1]
    assert tbl["period_total"].unique().tolist() == [len(rows)] and tbl.attrs["models_shown"] == len(rows)
    png = render.figure_bytes(view.figure(tbl, params, "counts"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # twelve families or fewer: every one of them is drawn, none folded
    few = snap_of([r for r in rows if r[1] not in ("F12", "F13", "F14")])
    assert view.table(few, params)["family"].tolist() == [f"F{i:02d}" for i in range(1, 12)] + ["Other"]
    assert view.table(few, params)["new_models"].tolist()[-1] == 1


def test_default_start_is_the_studys_when_the_board_spans_it():
    spans = snap_of([("a/1", "LLama", "2022-06-01"), ("a/2", "LLama", "2023-07-01")])
    assert view.Params.defaults(spans).start == dt.date(2023, 1, 1)
    before = snap_of([("a/1", "LLama", "2022-06-01"), ("a/2", "LLama", "2022-07-01")])
    assert (view.Params.defaults(before).start, view.Params.defaults(before).end) == (
        dt.date(2022, 6, 1), dt.date(2022, 7, 1))


def test_board_comes_from_the_snapshot_not_the_browser():
    snap = snap_of(ROWS, board="v2")
    p = view.Params.from_inputs({"dates": ("2023-07-10", "2023-07-31"), "aggregation": "day", "board": "v1"}, snap)
    assert p.board == "v2" and p.aggregation == "day"


def test_empty_selections_give_friendly_messages():
    snap = snap_of(ROWS)
    with pytest.raises(inputs.EmptySelection, match="No models"):
        view.table(snap, view.Params(start=dt.date(2024, 1, 1), end=dt.date(2024, 2, 1)))
    with pytest.raises(inputs.EmptySelection, match="No models"):  # only the placeholder date
        view.table(snap, view.Params(start=dt.date(2022, 3, 1), end=dt.date(2022, 3, 5)))
    with pytest.raises(inputs.EmptySelection, match="before the start"):
        view.Params.from_inputs({"dates": ("2023-08-01", "2023-07-01")}, snap)


@pytest.mark.parametrize("raw, needle", [
    ({"dates": ("2024-13-45", "2024-02-01")}, "not a date"),
    ({"dates": ("2024-01-01", None)}, "not a date"),
    ({"dates": ["2024-01-01"]}, "start and an end"),
    ({"dates": 5}, "start and an end"),
    ({"dates": ("0001-01-01", "9999-12-31")}, "outside the board's dates"),
    ({"dates": ("2023-07-10", "2023-08-01")}, "end: 2023-08-01 is outside the board's dates"),  # a day past the picker's max
    ({"dates": ("2023-07-09", "2023-07-31")}, "start: 2023-07-09 is outside"),  # the day before the first
    ({"aggregation": "year"}, "not one of"),
    ({"aggregation": ["week"]}, "not one of"),
    ({"aggregation": True}, "not one of"),
])
def test_forged_inputs_are_rejected(raw, needle):
    with pytest.raises(inputs.InvalidInput, match=needle):
        view.Params.from_inputs(raw, snap_of(ROWS))


def test_fidelity_on_v1_study_defaults(snapshot_dir):
    """The study's defaults (2023-01-01 to the last date, weekly) against a plain recount."""
    snap = store.read_snapshot(snapshot_dir, "v1")
    params = view.Params.defaults(snap)
    assert params.start == dt.date(2023, 1, 1) and params.aggregation == "week"
    tbl = view.table(snap, params)

    m = snap.models[["created_at", "architecture_family"]].dropna()
    day = m["created_at"].dt.strftime("%Y-%m-%d")
    m = m[(day != "2022-03-02") & (day >= "2023-01-01") & (day <= params.end.isoformat())]
    week = m["created_at"].dt.to_period("W-SUN").dt.start_time
    expected = m.groupby([week.rename("period"), m["architecture_family"].rename("family")]).size()
    got = tbl[tbl["new_models"] > 0].set_index(["period", "family"])["new_models"]
    assert got.sort_index().to_dict() == {k: int(v) for k, v in expected.sort_index().items()}
    assert tbl.attrs["models_shown"] == len(m)

    with open(rel.RELEASES_FILE, encoding="utf-8", newline="") as fh:
        wanted = {r["model"] for r in csv.DictReader(fh)
                  if ({"v1", "both"} & set(r["board_relevance"].split(";")))
                  and "2023-01-01" <= r["date"] <= params.end.isoformat()}
    shown = {name for cell in tbl["releases"] if cell for name in cell.split("; ")}
    assert shown == wanted and "LLaMA" in shown and "Llama 3" not in shown


@pytest.mark.parametrize("board", ["v1", "v2"])
def test_figure_renders_and_follows_parameters(snapshot_dir, board):
    snap = store.read_snapshot(snapshot_dir, board)
    d = view.Params.defaults(snap)
    other = view.Params(start=dt.date(2023, 6, 1), end=d.end, aggregation="month", board=board)
    a = render.figure_bytes(view.figure(view.table(snap, d), d, "counts"), "png")
    b = render.figure_bytes(view.figure(view.table(snap, other), other, "counts"), "png")
    assert a[:8] == b"\x89PNG\r\n\x1a\n" and b[:8] == b"\x89PNG\r\n\x1a\n"
    assert a != b
    with pytest.raises(inputs.InvalidInput):
        view.figure(view.table(snap, d), d, "pie")
