"""Shared pytest fixtures: the real leaderboard data and a processed snapshot built from it.

Fixtures (reuse them, don't rebuild snapshots in your own tests):

``shared_data`` (session, ``Path``)
    The folder with the real leaderboard files (``open-llm-leaderboard-contents.parquet``
    and ``open-llm-leaderboard-v1/``). Taken from the environment variable
    ``LLMTRENDS_SHARED_DATA``, default ``<repo>/../shared/data``. If it is missing every
    test using it **fails** (``pytest.fail``) -- the real data is required, never skipped.
    Modules that need the data at import time call ``shared_data_dir()`` at module level,
    which raises RuntimeError and so fails the run at collection.

``snapshot_dir`` (session, ``Path``)
    A temporary ``OUT`` folder holding the three processed boards, built once per test session
    from the local files with :func:`llmtrends.pipeline.runner.run`:
    ``OUT/v2`` from the parquet (no enrichment), ``OUT/v1`` from ``leaderboard.csv``
    enriched with the study's Hub records (``--enrich files``) and ``OUT/hub`` from the real
    listing sample ``hub-new-models/`` (``--source``: no scores). Read it with
    ``llmtrends.pipeline.store.read_snapshot(snapshot_dir, "v1")``. Treat it as read-only.
    v2 also has its history: the 14 weekly files of ``open-llm-leaderboard-contents-history/``
    stored as dated snapshots (:func:`llmtrends.pipeline.history.build_from_folder`; the current
    snapshot stays the one built from the parquet); v1 has a single snapshot.

Helpers (plain functions, importable as ``from tests.conftest import ...``):
``shared_data_dir()``, ``v1_leaderboard(data)``, ``v1_records(data)``, ``v2_parquet(data)``,
``v2_history(data)``, ``hub_listing(data)``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "LLMTRENDS_SHARED_DATA"

# The files the real-data tests need, relative to the shared data folder.
REQUIRED_FILES = (
    "open-llm-leaderboard-contents.parquet",
    "open-llm-leaderboard-contents-history/2024-12-15.parquet",
    "open-llm-leaderboard-v1/leaderboard.csv",
    "open-llm-leaderboard-v1/hub_models.csv",
    "open-llm-leaderboard-v1/repo_commits.csv",
    "hub-new-models/new-models-2026-09-24-to-28.csv",
)


def shared_data_dir() -> Path:
    """The real-data folder: ``$LLMTRENDS_SHARED_DATA`` or ``<repo>/../shared/data``.

    Raises RuntimeError (naming the folder and the variable) when the folder or one of
    the required files is missing, so that a run without the data fails loudly.
    """
    folder = Path(os.environ.get(ENV_VAR) or (REPO_ROOT.parent / "shared" / "data")).resolve()
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(
            f"real leaderboard data not found: {folder} lacks {', '.join(missing)}; "
            f"set {ENV_VAR} to the folder holding open-llm-leaderboard-contents.parquet "
            "and open-llm-leaderboard-v1/ (tests never skip for missing data)"
        )
    return folder


def v2_parquet(data: Path) -> Path:
    """The v2 leaderboard file in the shared data folder."""
    return data / "open-llm-leaderboard-contents.parquet"


def v2_history(data: Path) -> Path:
    """The folder of the v2 board's 14 weekly snapshots (``YYYY-MM-DD.parquet``)."""
    return data / "open-llm-leaderboard-contents-history"


def v1_records(data: Path) -> Path:
    """The folder of the study's v1 files (leaderboard.csv, hub_models.csv, repo_commits.csv)."""
    return data / "open-llm-leaderboard-v1"


def hub_listing(data: Path) -> Path:
    """The real listing sample of the Hub's new models (2026-09-24 ... 28)."""
    return data / "hub-new-models" / "new-models-2026-09-24-to-28.csv"


def v1_leaderboard(data: Path) -> Path:
    """The v1 leaderboard (semicolon CSV) in the shared data folder."""
    return v1_records(data) / "leaderboard.csv"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real-data folder (see the module docstring); fails the run when missing."""
    try:
        return shared_data_dir()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def snapshot_dir(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ``OUT`` folder with the three boards built from the local files (read-only for tests).

    ``OUT/v2``: the v2 parquet, ``--enrich none``; ``OUT/v1``: the v1 CSV with
    ``--enrich files --hub-records <shared>/open-llm-leaderboard-v1``; ``OUT/hub``: the
    listing sample (``--source``, no scores). Each board's current snapshot has its
    default figures drawn beside it, as the command line's builds do
    (``llmtrends.serving.default_figures``).
    """
    from llmtrends.pipeline import history, runner
    from llmtrends.serving import default_figures

    out = tmp_path_factory.mktemp("snapshot")
    runner.run(board="v2", source=v2_parquet(shared_data), enrich="none", out=out)
    runner.run(board="v1", source=v1_leaderboard(shared_data), enrich="files",
                 hub_records=v1_records(shared_data), out=out)
    history.build_from_folder(v2_history(shared_data), "v2", out)
    runner.run(board="hub", source=hub_listing(shared_data), enrich="none", out=out)
    default_figures.draw_current(out)  # after the history: the changes view's defaults name it
    return out


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, headless, shared by every browser test of the run.

    One Playwright driver per run: a second ``sync_playwright()`` while this one is open
    fails ("Sync API inside the asyncio loop"), so every browser test uses this fixture.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (python3 dev.py test does)", pytrace=False)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
