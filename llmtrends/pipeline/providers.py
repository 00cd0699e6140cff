"""Official model providers: the board's own flag, or a curated list of namespaces.

Leaderboard v2 marks models from official providers (its ``Official Providers`` column,
processed as ``official``); leaderboard v1 has no such flag (``official`` is all missing).
To ask the same question of both boards ("does the community only fine-tune small
models?") a model whose board gives no flag is looked up by its namespace in
``official_providers.csv``.

The rule, in order:

1. where the board's ``official`` is true or false, that value is used (``source = "board"``);
2. otherwise the model is official when its namespace (compared case-insensitively)
   is in the curated list (``source = "provider list"``).

The curated list holds every namespace that leaderboard v2 flagged as an official
provider (``evidence = v2-flag``: the board maintainers' own judgement) plus the
organisation accounts of well-known labs that publish their own models
(``evidence = well-known``). It is data, not code: edit the CSV to change it.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pandas as pd

OFFICIAL_FILE = Path(__file__).parents[1] / "official_providers.csv"  # the package's reference tables sit at its top
EVIDENCE = ("v2-flag", "well-known")
SOURCE_BOARD = "board"
SOURCE_LIST = "provider list"
OFFICIAL = "Official provider"
COMMUNITY = "Community"
PROVIDER_GROUPS = (OFFICIAL, COMMUNITY)


class ProviderListError(ValueError):
    """The curated provider list is malformed; the message names the file and row."""


def read_official_namespaces(path: str | Path = OFFICIAL_FILE) -> frozenset[str]:
    """The curated namespaces, lower-cased; ProviderListError on a malformed file."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames
            rows = list(reader)
    except (OSError, UnicodeDecodeError) as exc:
        raise ProviderListError(f"{path}: cannot read the provider list ({exc})") from None
    if header is None or [f.strip() for f in header] != ["namespace", "evidence"]:
        raise ProviderListError(f"{path}: expected the header 'namespace,evidence'")
    names: set[str] = set()
    for row_no, row in enumerate(rows, start=2):
        ns = (row.get("namespace") or "").strip()
        evidence = (row.get("evidence") or "").strip()
        if not ns or "/" in ns or any(ch.isspace() for ch in ns):
            raise ProviderListError(f"{path}: row {row_no}: column namespace: {ns!r} is not a namespace")
        if evidence not in EVIDENCE:
            raise ProviderListError(
                f"{path}: row {row_no}: column evidence: {evidence!r} is not one of {', '.join(EVIDENCE)}")
        names.add(ns.lower())
    if not names:
        raise ProviderListError(f"{path}: no namespaces")
    return frozenset(names)


@lru_cache(maxsize=1)
def official_namespaces() -> frozenset[str]:
    """The packaged curated list (read once per process)."""
    return read_official_namespaces(OFFICIAL_FILE)


# the columns resolve_official reads (those a board has)
OFFICIAL_COLUMNS = ("namespace", "repo_id", "official")


def resolve_official(models: pd.DataFrame, namespaces: frozenset[str] | None = None) -> pd.DataFrame:
    """Per model: ``official`` (bool) and ``official_source`` (board / provider list).

    Uses the board's ``official`` flag where it is known and the curated namespace list
    where it is missing (see the module docstring). The result has the models' index.
    """
    names = official_namespaces() if namespaces is None else namespaces
    if "namespace" in models.columns:
        ns = models["namespace"]
    else:
        ns = models["repo_id"].astype("string").str.split("/").str[0]
    listed = ns.astype("string").str.lower().isin(names).fillna(False).astype(bool)
    board = models["official"].astype("boolean") if "official" in models.columns else \
        pd.Series(pd.NA, index=models.index, dtype="boolean")
    known = board.notna().to_numpy()
    official = board.fillna(False).astype(bool).where(known, listed)
    source = pd.Series(SOURCE_LIST, index=models.index, dtype=object).where(~known, SOURCE_BOARD)
    return pd.DataFrame({"official": official.astype(bool), "official_source": source.astype(str)},
                        index=models.index)


def provider_group(official: pd.Series) -> pd.Series:
    """'Official provider' / 'Community' labels for a boolean official column."""
    return official.map({True: OFFICIAL, False: COMMUNITY}).astype(str)
