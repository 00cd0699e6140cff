"""Official providers: the board's flag first, the curated namespace list where it is missing."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from llmtrends.pipeline import providers, store


def test_board_flag_wins_and_list_fills_missing_flags():
    models = pd.DataFrame({
        "repo_id": ["meta-llama/A", "Qwen/B", "someone/C", "someone/D", "QWEN/E", "qwen/F"],
        "namespace": ["meta-llama", "Qwen", "someone", "someone", "QWEN", "qwen"],
        "official": pd.array([True, pd.NA, False, pd.NA, False, pd.NA], dtype="boolean"),
    }, index=[10, 11, 12, 13, 14, 15])
    got = providers.resolve_official(models, frozenset({"qwen", "meta-llama"}))
    assert got.index.tolist() == [10, 11, 12, 13, 14, 15]
    assert got["official"].tolist() == [True, True, False, False, False, True]
    assert got["official_source"].tolist() == ["board", "provider list", "board", "provider list", "board",
                                               "provider list"]
    assert providers.provider_group(got["official"]).tolist() == [
        "Official provider", "Official provider", "Community", "Community", "Community", "Official provider"]


def test_without_flag_or_namespace_columns_the_repo_id_is_used():
    models = pd.DataFrame({"repo_id": ["google/gemma-2b", "me/x"]})
    got = providers.resolve_official(models)
    assert got["official"].tolist() == [True, False]
    assert set(got["official_source"]) == {"provider list"}


def test_packaged_list_has_the_well_known_labs():
    names = providers.official_namespaces()
    for ns in ("meta-llama", "mistralai", "google", "microsoft", "Qwen", "01-ai", "tiiuae", "EleutherAI",
               "facebook", "bigscience", "openai-community", "stabilityai", "allenai", "deepseek-ai",
               "internlm", "CohereForAI", "nvidia", "ibm-granite", "HuggingFaceTB", "upstage"):
        assert ns.lower() in names
    assert "thebloke" not in names  # re-uploads of others' models are community


def test_packaged_list_covers_every_namespace_v2_flags(snapshot_dir):
    """The list's evidence rule: every namespace leaderboard v2 flags as official is on it."""
    v2 = store.read_snapshot(snapshot_dir, "v2").models
    flagged = set(v2.loc[v2["official"].fillna(False).astype(bool), "namespace"].str.lower())
    assert flagged and flagged <= providers.official_namespaces()
    with open(providers.OFFICIAL_FILE, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    v2_rows = {r["namespace"].lower() for r in rows if r["evidence"] == "v2-flag"}
    assert v2_rows == flagged


@pytest.mark.parametrize("text, needle", [
    ("name,evidence\nmeta-llama,v2-flag\n", "header"),
    ("namespace,evidence\n,v2-flag\n", "row 2: column namespace"),
    ("namespace,evidence\nmeta-llama,v2-flag\nmeta-llama/x,well-known\n", "row 3: column namespace"),
    ("namespace,evidence\nmeta llama,v2-flag\n", "row 2"),
    ("namespace,evidence\nmeta-llama,hearsay\n", "column evidence"),
    ("namespace,evidence\n", "no namespaces"),
])
def test_malformed_lists_name_file_row_and_column(tmp_path, text, needle):
    path = tmp_path / "official.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(providers.ProviderListError, match=needle) as err:
        providers.read_official_namespaces(path)
    assert str(path) in str(err.value)


def test_unreadable_list_names_the_file(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(providers.ProviderListError, match="cannot read") as err:
        providers.read_official_namespaces(missing)
    assert str(missing) in str(err.value)
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("namespace,evidence\nm\xe9ta,v2-flag\n".encode("latin-1"))
    with pytest.raises(providers.ProviderListError, match="cannot read"):
        providers.read_official_namespaces(latin)
