"""The hub board's benchmarks: Hugging Face Community Evals leaderboards, from ``benchmarks.csv``.

Community Evals (launched February 2026, https://huggingface.co/blog/community-evals) lets a
benchmark dataset on the Hub host a leaderboard that aggregates the results model repositories
publish in ``.eval_results/*.yaml``. The CSV is data, not code: one row per benchmark with

* ``column`` -- the processed column of its scores (``ce_`` for Community Evals, so that it is
  never mistaken for v2's normalized score of the same benchmark);
* ``dataset_id`` -- the benchmark dataset whose leaderboard is read
  (``HfApi.get_dataset_leaderboard``);
* ``task_id`` -- the task in the dataset's ``eval.yaml`` that results name;
* ``display_name``; ``min`` / ``max`` -- the range a score can take (values outside it are
  not kept); ``higher_is_better`` -- which result of a repository is its best;
* ``source_url`` -- where the benchmark is described.

:func:`load` validates every row, so a typo fails loudly with the file, the row and the column.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

BENCHMARKS_FILE = Path(__file__).parents[1] / "benchmarks.csv"  # the package's reference tables sit at its top
COLUMNS: tuple[str, ...] = ("column", "dataset_id", "task_id", "display_name", "min", "max",
                            "higher_is_better", "source_url")
_COLUMN = re.compile(r"^[a-z][a-z0-9_]*$")
_DATASET = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")
_BOOL = {"true": True, "false": False}


class BenchmarksError(ValueError):
    """The benchmarks file is malformed; the message names the file, the row and the column."""


@dataclass(frozen=True)
class Benchmark:
    """One Community Evals benchmark of the hub board."""

    column: str
    dataset_id: str
    task_id: str
    display_name: str
    min: float
    max: float
    higher_is_better: bool
    source_url: str


def load(path: str | Path | None = None) -> tuple[Benchmark, ...]:
    """The validated benchmarks, in the file's order (the packaged file is read once)."""
    return _default() if path is None else _read(Path(path))


@functools.lru_cache(maxsize=1)
def _default() -> tuple[Benchmark, ...]:
    return _read(BENCHMARKS_FILE)


def _read(path: Path) -> tuple[Benchmark, ...]:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise BenchmarksError(f"{path}: missing column(s) {', '.join(missing)}")
            out: list[Benchmark] = []
            for line, rec in enumerate(reader, start=2):
                out.append(_row(path, line, rec))
    except OSError as exc:
        raise BenchmarksError(f"{path}: {exc.strerror or exc}") from None
    if not out:
        raise BenchmarksError(f"{path}: no benchmarks")
    for attr in ("column", "dataset_id"):
        values = [getattr(b, attr) for b in out]
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            raise BenchmarksError(f"{path}: {attr} listed twice: {', '.join(twice)}")
    return tuple(out)


def _row(path: Path, line: int, rec: dict) -> Benchmark:
    def bad(col: str, why: str) -> BenchmarksError:
        return BenchmarksError(f"{path}: row {line}, column {col!r}: {why}: {str(rec.get(col))[:60]!r}")

    value = {c: (rec.get(c) or "").strip() for c in COLUMNS}
    for col, text in value.items():
        if not text:
            raise bad(col, "empty")
    if not _COLUMN.fullmatch(value["column"]):
        raise bad("column", "not a snake_case column name")
    if not _DATASET.fullmatch(value["dataset_id"]):
        raise bad("dataset_id", "not a dataset id (namespace/name)")
    try:
        low, high = float(value["min"]), float(value["max"])
    except ValueError:
        raise bad("min", "min and max must be numbers") from None
    if not low < high:
        raise bad("max", "max must be greater than min")
    if value["higher_is_better"].lower() not in _BOOL:
        raise bad("higher_is_better", "not true or false")
    if not value["source_url"].startswith(("https://", "http://")):
        raise bad("source_url", "not an http(s) URL")
    return Benchmark(value["column"], value["dataset_id"], value["task_id"], value["display_name"],
                     low, high, _BOOL[value["higher_is_better"].lower()], value["source_url"])
