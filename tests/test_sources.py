"""Unit tests of llmtrends.pipeline.sources: safe list parsing, the study-record rules, validation.

Inputs are small hand-made frames and files in ``tmp_path``; expected values were worked
out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llmtrends import schema
from llmtrends.pipeline import sources
from llmtrends.pipeline.sources import SourceError

# --------------------------------------------------------------------------- safe lists


@pytest.mark.parametrize("value, expected", [
    ("['en', 'license:mit']", ["en", "license:mit"]),
    ('["a", "b"]', ["a", "b"]),
    ("('x', 'y')", ["x", "y"]),
    ("['a', None, '', 'b']", ["a", "b"]),
    ("[1, 2.5]", ["1", "2.5"]),
    ("[]", []),
    ("", []),
    ("  ", []),
    ("nan", []),
    ("None", []),
    (None, []),
    (float("nan"), []),
    (["a", None, "b"], ["a", "b"]),
    (("a",), ["a"]),
    (np.array(["p", "q"]), ["p", "q"]),
    ("en", ["en"]),                                   # bare token: a one-item list
    ("unknown", ["unknown"]),
    ("org/model-1.5_v2", ["org/model-1.5_v2"]),
    ("base_model:finetune:org/x", ["base_model:finetune:org/x"]),
])
def test_parse_list_accepts(value, expected):
    assert sources.parse_list(value, "f.csv: column 'tags'") == expected


@pytest.mark.parametrize("value", [
    "['a', 'b'",                                      # truncated literal
    "[a, b]",                                         # names, not strings
    "['a'] + ['b']",                                  # an expression
    "[__import__('os').system('echo hi')]",
    "__import__('os').system('echo hi')",             # bare code: must not pass as a token
    "{'a': 1}",
    "'quoted'",
    "print('x')",
    "[" * 100_000 + "]" * 100_000,                   # too deep for the parser: an error, no crash
])
def test_parse_list_rejects_with_where(value):
    with pytest.raises(SourceError) as err:
        sources.parse_list(value, "hub_models.csv: row 7 (org/x): column 'tags'")
    msg = str(err.value)
    assert msg.startswith("hub_models.csv: row 7 (org/x): column 'tags': not a list literal")
    assert "\n" not in msg


def test_parse_list_never_executes_code(tmp_path):
    marker = tmp_path / "pwned"
    for payload in (f"__import__('os').system('touch {marker}')",
                    f"[__import__('os').system('touch {marker}')]",
                    f"(__import__('pathlib').Path('{marker}').touch(),)"):
        with pytest.raises(SourceError):
            sources.parse_list(payload, "x")
    assert not marker.exists()


def test_base_models_of_merges_card_and_tags():
    tags = ["transformers", "base_model:finetune:org/y", "base_model:org/x", "license:mit"]
    assert sources.base_models_of("['org/x']", tags) == ["org/x", "org/y"]
    assert sources.base_models_of("org/z", []) == ["org/z"]
    assert sources.base_models_of(float("nan"), ["base_model:quantized:q/1"]) == ["q/1"]
    assert sources.base_models_of(None, ["en"]) == []


# --------------------------------------------------------------------------- study records

HUB_COLUMNS = ["name", "author", "created_at", "last_modified", "downloads", "tags",
               "library_name", "language", "datasets", "base_model"]
P1 = ("2024-01-01 10:00:00+00:00", "2024-01-02 10:00:00+00:00", 100, "['llama', 'license:mit']")
P3 = ("2023-06-01 08:00:00+00:00", "2023-06-02 08:00:00+00:00", 7, "['license:apache-2.0']")
P7 = ("2023-07-07 07:00:00+00:00", "2023-07-08 07:00:00+00:00", 77, "['license:mit']")
P9 = ("2022-03-02 23:29:04+00:00", "2024-02-19 10:57:45+00:00", 999, "['gpt2']")


def write_records(folder, hub_rows, commit_rows=None):
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(hub_rows, columns=HUB_COLUMNS).to_csv(folder / "hub_models.csv")  # with "Unnamed: 0"
    commit_rows = commit_rows if commit_rows is not None else [
        ("A/m1", 2, 5, "2024-01-01 10:00:00+00:00", "2024-01-05 10:00:00+00:00", "['alice', 'bob']"),
    ]
    pd.DataFrame(commit_rows, columns=["name", "num_of_authors", "num_of_commits", "first_commit",
                                       "last_commit", "authors"]).to_csv(folder / "repo_commits.csv")
    return folder


def study_rows():
    """Twelve records exercising every rule (see test_study_record_rules)."""
    return [
        ("A/m1", "A", *P1, "transformers", "['en']", "['d/1']", "['org/base']"),            # 0 ok
        ("B/m2", "A", *P1, "transformers", "['en']", "['d/1']", "['org/base']"),            # 1 stale copy of A/m1
        ("C/m3", "D", *P3, "peft", np.nan, np.nan, np.nan),                                 # 2 renamed -> D/m3
        ("E/m4", "E", "2023-01-01 00:00:00+00:00", "2023-01-02 00:00:00+00:00", 1, "[]",
         "transformers", "en", "unknown", np.nan),                                          # 3 first call
        ("E/m4", "E", "2023-01-01 00:00:00+00:00", "2023-02-02 00:00:00+00:00", 5, "[]",
         "transformers", "en", "unknown", np.nan),                                          # 4 later call wins
        ("F/m5", "F", "2022-03-02 23:57:15+00:00", "2023-03-03 00:00:00+00:00", 9,
         "['base_model:finetune:G/g']", np.nan, np.nan, np.nan, np.nan),                    # 5 good
        ("F/m5", "A", *P1, "transformers", "['en']", "['d/1']", "['org/base']"),            # 6 stale, later
        ("g/m6", "G", "2024-02-02 00:00:00+02:00", "2024-02-03 00:00:00+00:00", 3, "[]",
         np.nan, np.nan, np.nan, np.nan),                                                    # 7 case only: ok
        ("old/m7", "New", *P7, np.nan, np.nan, np.nan, np.nan),                             # 8 redirect -> New/m7
        ("New/m7", "New", *P7, np.nan, np.nan, np.nan, np.nan),                             # 9 ok
        ("gpt9", "community", *P9, np.nan, np.nan, np.nan, np.nan),                         # 10 legacy id, redirect
        ("community/gpt9", "community", *P9, np.nan, np.nan, np.nan, np.nan),               # 11 ok
    ]


def test_study_record_rules(tmp_path):
    folder = write_records(tmp_path / "rec", study_rows())
    hub, commits, counts = sources.read_study_records(folder)
    # 12 rows; stale: rows 1 and 6 (foreign author, payload shared with another name that
    # is not author/<model part>); renamed: rows 2, 8 and 10 (8 and 10 share their payload
    # with exactly the repository they redirect to; row 7's author differs only in case);
    # 10 names -> 2 repeated
    assert counts == {"hub_rows": 12, "hub_stale": 2, "hub_renamed": 3, "hub_repeated": 2, "commit_rows": 1}
    assert list(hub.columns) == list(schema.HUB_RECORD_COLUMNS)
    by = hub.set_index("name")
    assert sorted(by.index) == ["A/m1", "B/m2", "C/m3", "E/m4", "F/m5", "New/m7", "community/gpt9",
                                "g/m6", "gpt9", "old/m7"]
    assert by["hub_outcome"].to_dict() == {"A/m1": "ok", "B/m2": "stale", "C/m3": "renamed",
                                           "E/m4": "ok", "F/m5": "ok", "g/m6": "ok",
                                           "old/m7": "renamed", "New/m7": "ok",
                                           "gpt9": "renamed", "community/gpt9": "ok"}
    assert by.loc["old/m7", "hub_id"] == "New/m7" and by.loc["gpt9", "hub_id"] == "community/gpt9"
    assert by.loc["gpt9", "created_at"] == pd.Timestamp("2022-03-02 23:29:04")
    assert by.loc["C/m3", "hub_id"] == "D/m3" and by.loc["C/m3", "author"] == "D"
    assert by.loc["A/m1", "hub_id"] == "A/m1"
    assert by.loc["g/m6", "hub_id"] == "g/m6"
    # a stale copy carries nothing of the record it copied
    assert pd.isna(by.loc["B/m2", "hub_id"]) and pd.isna(by.loc["B/m2", "created_at"])
    assert by.loc["B/m2", "tags"] == [] and pd.isna(by.loc["B/m2", "author"])
    # repeated calls: the last usable one wins (E/m4: the second; F/m5: the first, the later is stale)
    assert by.loc["E/m4", "downloads"] == 5.0
    assert by.loc["F/m5", "downloads"] == 9.0
    assert by.loc["F/m5", "created_at"] == pd.Timestamp("2022-03-02 23:57:15")
    # dates: UTC, tz-naive
    assert by.loc["g/m6", "created_at"] == pd.Timestamp("2024-02-01 22:00:00")
    # parsed lists, license from tags, base model from the card then the tags
    assert by.loc["A/m1", "tags"] == ["llama", "license:mit"]
    assert by.loc["A/m1", "license"] == "mit" and by.loc["C/m3", "license"] == "apache-2.0"
    assert by.loc["A/m1", "base_model"] == ["org/base"]
    assert by.loc["F/m5", "base_model"] == ["G/g"]
    assert by.loc["E/m4", "language"] == ["en"] and by.loc["E/m4", "datasets"] == ["unknown"]
    assert by.loc["C/m3", "library"] == "peft" and pd.isna(by.loc["F/m5", "library"])
    assert commits.to_dict("list") == {
        "name": ["A/m1"], "num_commits": [5.0],
        "first_commit": [pd.Timestamp("2024-01-01 10:00")], "last_commit": [pd.Timestamp("2024-01-05 10:00")],
        "authors": [["alice", "bob"]],
    }


def test_study_records_broken_list_names_file_row_column(tmp_path):
    rows = study_rows()
    rows[3] = rows[3][:5] + ("['a', 'b'",) + rows[3][6:]
    folder = write_records(tmp_path / "rec", rows)
    with pytest.raises(SourceError) as err:
        sources.read_study_records(folder)
    assert str(err.value) == (f"{folder / 'hub_models.csv'}: row 5 (E/m4): column 'tags': "
                              "not a list literal: \"['a', 'b'\"")


def test_study_records_malicious_list_is_an_error(tmp_path):
    rows = study_rows()
    rows[0] = rows[0][:7] + ("__import__('os').system('echo hi')",) + rows[0][8:]
    folder = write_records(tmp_path / "rec", rows)
    with pytest.raises(SourceError, match=r"row 2 \(A/m1\): column 'language': not a list literal"):
        sources.read_study_records(folder)


def test_study_records_commit_authors_broken(tmp_path):
    folder = write_records(tmp_path / "rec", study_rows(), [
        ("A/m1", 2, 5, "2024-01-01 10:00:00+00:00", "2024-01-05 10:00:00+00:00", "['alice' 'bob'"),
    ])
    with pytest.raises(SourceError, match=r"repo_commits.csv: row 2: column 'authors': not a list literal"):
        sources.read_study_records(folder)


@pytest.mark.parametrize("column, value, message", [
    ("created_at", "yesterday-ish", "column 'created_at': unparseable date at row 2 (A/m1): 'yesterday-ish'"),
    ("created_at", "2199-01-01 00:00:00+00:00", "column 'created_at': date in the future at row 2 (A/m1)"),
    ("downloads", "many", "column 'downloads': not a number at row 2 (A/m1): 'many'"),
    ("name", "", "column 'name': not a repository id at row 2"),
    ("name", "has space/x", "column 'name': not a repository id at row 2: 'has space/x'"),
])
def test_study_records_bad_values(tmp_path, column, value, message):
    rows = [list(r) for r in study_rows()]
    rows[0][HUB_COLUMNS.index(column)] = value
    folder = write_records(tmp_path / "rec", rows)
    with pytest.raises(SourceError) as err:
        sources.read_study_records(folder)
    assert str(err.value).startswith(str(folder / "hub_models.csv"))
    assert message in str(err.value)


def test_study_records_missing_files_and_columns(tmp_path):
    with pytest.raises(SourceError, match=r"nowhere/hub_models.csv: file not found"):
        sources.read_study_records(tmp_path / "nowhere")
    folder = write_records(tmp_path / "rec", study_rows())
    frame = pd.read_csv(folder / "hub_models.csv").drop(columns=["created_at"])
    frame.to_csv(folder / "hub_models.csv", index=False)
    with pytest.raises(SourceError, match=r"hub_models.csv: missing required column\(s\): 'created_at'"):
        sources.read_study_records(folder)
    folder = write_records(tmp_path / "rec2", study_rows())
    (folder / "repo_commits.csv").unlink()
    with pytest.raises(SourceError, match=r"rec2/repo_commits.csv: file not found"):
        sources.read_study_records(folder)


# --------------------------------------------------------------------------- coercions


def test_coerce_bool():
    frame = pd.DataFrame({"fullname": list("abcdefg"),
                          "x": ["True", "false", "1", "NO", None, "", " t "]})
    out = sources.coerce_bool(frame, "x", "w")
    assert out.tolist()[:4] == [True, False, True, False]
    assert out.isna().tolist() == [False] * 4 + [True, True, False]
    assert bool(out.iloc[6]) is True
    frame.loc[2, "x"] = "maybe"
    with pytest.raises(SourceError, match=r"^w: column 'x': not a boolean at row 4 \(c\): 'maybe'$"):
        sources.coerce_bool(frame, "x", "w")


def test_coerce_numeric_and_date():
    frame = pd.DataFrame({"fullname": ["a", "b", "c"], "n": ["1.5", None, " "],
                          "d": ["2024-03-22 14:08:40+02:00", "2024-01-05", None]})
    assert sources.coerce_numeric(frame, "n", "w").tolist()[0] == 1.5
    assert sources.coerce_numeric(frame, "n", "w").isna().tolist() == [False, True, True]
    dates = sources.coerce_date(frame, "d", "w")
    assert dates.tolist()[:2] == [pd.Timestamp("2024-03-22 12:08:40"), pd.Timestamp("2024-01-05")]
    assert pd.isna(dates.iloc[2]) and str(dates.dtype) == "datetime64[ns]"


# --------------------------------------------------------------------------- leaderboards


def v2_frame(n: int = 3) -> pd.DataFrame:
    rows = []
    for i in range(n):
        rows.append({
            "fullname": f"org/m{i}", "Average ⬆️": 10.0 + i, **{b: 10.0 + i for b in schema.V2_BENCHMARKS},
            "Type": "🟢 pretrained", "T": "🟢", "Architecture": "LlamaForCausalLM",
            "Precision": "bfloat16", "Weight type": "Original", "Merged": False, "MoE": False,
            "Flagged": False, "Official Providers": False, "#Params (B)": 7.0, "Hub License": "mit",
            "Hub ❤️": 1, "Model sha": "s", "CO₂ cost (kg)": 1.0, "Upload To Hub Date": "2024-01-01",
            "Submission Date": "2024-07-01", "Base Model": f"org/m{i}", "Generation": 0,
        })
    return pd.DataFrame(rows)


def test_read_v2_parquet_and_csv(tmp_path):
    frame = v2_frame()
    frame.to_parquet(tmp_path / "v2.parquet")
    frame.to_csv(tmp_path / "v2.csv", index=False)
    for name in ("v2.parquet", "v2.csv"):
        loaded = sources.read_leaderboard_file(tmp_path / name, "v2")
        assert loaded.source == str(tmp_path / name) and loaded.revision is None
        assert loaded.file_sha256 == sources.file_sha256(tmp_path / name)
        assert len(loaded.file_sha256) == 64
        assert loaded.frame["Average ⬆️"].tolist() == [10.0, 11.0, 12.0]
        assert loaded.frame["Submission Date"].tolist() == [pd.Timestamp("2024-07-01")] * 3
        assert loaded.frame["MoE"].tolist() == [False] * 3


def test_read_v1_semicolon_csv(tmp_path):
    frame = v2_frame().drop(columns=[*schema.V2_BENCHMARKS, "Weight type", "Official Providers",
                                     "CO₂ cost (kg)", "Upload To Hub Date", "Submission Date",
                                     "Base Model", "Generation"])
    for b in schema.V1_BENCHMARKS:
        frame[b] = 50.0
    frame.to_csv(tmp_path / "lb.csv", sep=";", index=False)
    loaded = sources.read_leaderboard_file(tmp_path / "lb.csv", "v1")
    assert loaded.frame["fullname"].tolist() == ["org/m0", "org/m1", "org/m2"]
    with pytest.raises(SourceError, match=r"unknown board 'v3'"):
        sources.read_leaderboard_file(tmp_path / "lb.csv", "v3")


def bad(tmp_path, frame: pd.DataFrame, name: str = "v2.csv", **kw):
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False, **kw)
    with pytest.raises(SourceError) as err:
        sources.read_leaderboard_file(path, "v2")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(str(path))
    return msg[len(str(path)) + 2:]


def test_validation_errors(tmp_path):
    f = v2_frame()
    assert bad(tmp_path, f.drop(columns=["BBH"])) == "missing required column(s): 'BBH'"
    assert bad(tmp_path, f.rename(columns={"Average ⬆️": "Average"})) == "missing required column(s): 'Average ⬆️'"
    assert bad(tmp_path, f, sep=";").startswith("found a single column 'fullname;Average ⬆️;")
    assert "wrong delimiter? expected ','-separated" in bad(tmp_path, f, sep=";")
    g = f.astype({"IFEval": object})
    g.loc[1, "IFEval"] = "abc"
    assert bad(tmp_path, g) == "column 'IFEval': not a number at row 3 (org/m1): 'abc'"
    assert bad(tmp_path, g.astype({"IFEval": str}), "v2.parquet") == "column 'IFEval': not a number at row 2 (org/m1): 'abc'"
    g = f.astype({"Merged": object})
    g.loc[2, "Merged"] = "maybe"
    assert bad(tmp_path, g) == "column 'Merged': not a boolean at row 4 (org/m2): 'maybe'"
    g = f.copy()
    g.loc[0, "Upload To Hub Date"] = "2024-13-45"
    assert bad(tmp_path, g) == "column 'Upload To Hub Date': unparseable date at row 2 (org/m0): '2024-13-45'"
    g = f.copy()
    g.loc[1, "Submission Date"] = "2200-01-01"  # (pandas 2 cannot hold a year past 2262)
    assert bad(tmp_path, g).startswith("column 'Submission Date': date in the future at row 3 (org/m1)")
    g = f.copy()
    g.loc[1, "fullname"] = "org/with space"
    assert bad(tmp_path, g) == "column 'fullname': not a repository id at row 3: 'org/with space'"
    g = f.copy()
    g["Average ⬆️"] = np.nan
    assert bad(tmp_path, g) == "column 'Average ⬆️': no scores at all"
    assert bad(tmp_path, f.head(0)) == "no rows"


def test_file_level_errors(tmp_path):
    def err(path, board="v2"):
        with pytest.raises(SourceError) as e:
            sources.read_leaderboard_file(path, board)
        return str(e.value)

    assert err(tmp_path / "none.parquet") == f"{tmp_path / 'none.parquet'}: file not found"
    (tmp_path / "d.csv").mkdir()
    assert err(tmp_path / "d.csv") == f"{tmp_path / 'd.csv'}: is a directory, expected a parquet or CSV file"
    (tmp_path / "e.csv").write_bytes(b"")
    assert err(tmp_path / "e.csv") == f"{tmp_path / 'e.csv'}: file is empty"
    (tmp_path / "nl.csv").write_bytes(b"\n\n")
    assert err(tmp_path / "nl.csv") == f"{tmp_path / 'nl.csv'}: file has no columns (empty)"
    v2_frame().to_parquet(tmp_path / "ok.parquet")
    data = (tmp_path / "ok.parquet").read_bytes()
    (tmp_path / "t.parquet").write_bytes(data[: len(data) // 2])
    assert err(tmp_path / "t.parquet").startswith(f"{tmp_path / 't.parquet'}: cannot read as .parquet:")
    text = v2_frame().to_csv(index=False).encode()
    (tmp_path / "latin.csv").write_bytes(text.replace(b"org/m1", b"org/m\xe91"))
    assert err(tmp_path / "latin.csv").startswith(f"{tmp_path / 'latin.csv'}: not UTF-8 text")
    header = text.splitlines()[0].replace(b"BBH", b"IFEval")
    (tmp_path / "dup.csv").write_bytes(b"\n".join([header, *text.splitlines()[1:]]))
    assert err(tmp_path / "dup.csv") == f"{tmp_path / 'dup.csv'}: duplicate column name(s): IFEval"
    import pyarrow as pa
    import pyarrow.parquet as pq
    pq.write_table(pa.table([pa.array(["a"]), pa.array(["b"])], names=["fullname", "fullname"]),
                   tmp_path / "dup.parquet")
    assert err(tmp_path / "dup.parquet") == f"{tmp_path / 'dup.parquet'}: duplicate column name(s): fullname"
