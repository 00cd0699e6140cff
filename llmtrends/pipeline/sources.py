"""Read a leaderboard (the Hub dataset, a parquet or CSV file) and the study's Hub records.

Every reader validates what it read and raises :class:`SourceError` with a one-line
message that names the file, the column and the first bad row, so that a user never sees
a pandas traceback for a malformed input.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from llmtrends import schema

V2_DATASET = "open-llm-leaderboard/contents"

# Latest plausible date in a source: anything later is a corrupted value.
_MAX_FUTURE_DAYS = 2
# Earliest plausible date: Hugging Face's Hub holds no repository, commit or submission from
# before it (the oldest commit in the study's records is from 2019). An earlier date is a
# corrupted value -- typically a number read as seconds since 1970.
EARLIEST_DATE = "2015-01-01"

# What a leaderboard's numeric columns can hold (inclusive bounds; every value finite).
# Anything else is refused with its file, column and row: an infinite score would break the
# app's JSON, and a score of 1000 or 1e12 billion parameters would silently skew every view.
SCORE_RANGE = (0.0, 100.0)  # the leaderboards' scores are percentages
# 0 or less is the leaderboards' "unknown" (v2 writes -1); 10,000 B = 10 trillion
# parameters, several times the largest open model.
PARAMS_B_RANGE = (float("-inf"), 10_000.0)
COUNT_RANGE = (0.0, float("inf"))  # likes, downloads, commits, CO2 in kg, generations


def plausible_ranges(spec: schema.SourceSchema) -> dict[str, tuple[float, float]]:
    """Each numeric column of a leaderboard's source schema with the values it may hold."""
    ranges = {col: COUNT_RANGE for col in spec.numeric}
    ranges.update({col: SCORE_RANGE for col in ("Average ⬆️", *spec.benchmarks)})
    ranges["#Params (B)"] = PARAMS_B_RANGE
    return ranges


class SourceError(ValueError):
    """A source file or dataset is unusable; the message says where and why."""


@dataclass
class Loaded:
    """A raw leaderboard table and where it came from (for the manifest)."""

    frame: pd.DataFrame
    source: str  # file path or "hub:<dataset>"
    revision: str | None  # Hub revision (commit sha) when loaded from the Hub
    file_sha256: str | None  # hash of the file when loaded from a file


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- reading


def _read_table(path: Path, sep: str | None) -> pd.DataFrame:
    """Read a parquet or delimited file, turning every reader failure into SourceError."""
    if not path.exists():
        raise SourceError(f"{path}: file not found")
    if path.is_dir():
        raise SourceError(f"{path}: is a directory, expected a parquet or CSV file")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: file is empty")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            names = pq.read_schema(path).names
            dups = sorted({c for c in names if names.count(c) > 1})
            if dups:
                raise SourceError(f"{path}: duplicate column name(s): {', '.join(dups)}")
            frame = pd.read_parquet(path)
            frame.attrs["row_base"] = 1  # parquet rows are counted from 1, no header line
        else:
            with open(path, "rb") as fh:
                head = fh.read(1 << 16)
            try:
                head.decode("utf-8")
            except UnicodeDecodeError as exc:
                # a cut multi-byte character at the end of the sample is not an error
                if exc.start < len(head) - 4:
                    raise SourceError(
                        f"{path}: not UTF-8 text (bad byte at offset {exc.start})"
                    ) from None
            frame = pd.read_csv(path, sep=sep or ",", encoding="utf-8", low_memory=False)
    except SourceError:
        raise
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except pd.errors.EmptyDataError:
        raise SourceError(f"{path}: file has no columns (empty)") from None
    except pd.errors.ParserError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "parse error"
        raise SourceError(f"{path}: malformed CSV: {first}") from None
    except (OSError, ValueError, ImportError) as exc:  # pyarrow errors subclass these
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError(f"{path}: cannot read as {suffix or 'CSV'}: {first}") from None
    except Exception as exc:  # noqa: BLE001 -- pyarrow raises its own ArrowInvalid types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError(f"{path}: cannot read as {suffix or 'CSV'}: {first}") from None
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise SourceError(f"{path}: no rows")
    return frame


def _check_columns(frame: pd.DataFrame, required: tuple[str, ...], where: str, sep: str | None) -> None:
    """Required columns present, each once; a hint when the delimiter looks wrong."""
    cols = [str(c) for c in frame.columns]
    dups = sorted({c for c in cols if cols.count(c) > 1})
    # pandas renames repeated CSV headers "X" -> "X.1"; catch that too
    dups += sorted({c[:-2] for c in cols if c.endswith(".1") and c[:-2] in cols})
    if dups:
        raise SourceError(f"{where}: duplicate column name(s): {', '.join(dups)}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        if len(cols) == 1 and sep is not None and len(required) > 1:
            other = "','" if sep == ";" else "';'"
            raise SourceError(
                f"{where}: found a single column {cols[0][:60]!r}; wrong delimiter? "
                f"expected {sep!r}-separated (not {other})"
            )
        raise SourceError(
            f"{where}: missing required column(s): {', '.join(repr(c) for c in missing)}"
        )


def _first_bad(mask: pd.Series, frame: pd.DataFrame, column: str) -> str:
    """Describe the first row flagged by mask: 'row N (fullname): value'."""
    idx = mask[mask].index[0]
    pos = frame.index.get_loc(idx)
    name = frame.at[idx, "fullname"] if "fullname" in frame.columns else (
        frame.at[idx, "name"] if "name" in frame.columns else "")
    base = frame.attrs.get("row_base", 2)
    row = pos + base if isinstance(pos, int) else pos
    value = frame.at[idx, column]
    if isinstance(value, np.generic):  # 1718000000, not np.int64(1718000000)
        value = value.item()
    if column in ("fullname", "name"):
        return f"row {row}: {value!r}"
    return f"row {row} ({name}): {value!r}"


def coerce_numeric(frame: pd.DataFrame, column: str, where: str,
                   bounds: tuple[float, float] | None = None) -> pd.Series:
    """Column as floats; a non-empty value that is not a number is an error, and so is an
    infinite one or (with ``bounds``) one outside ``[low, high]``. Missing stays NaN."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
    if bad.any():
        raise SourceError(f"{where}: column {column!r}: not a number at {_first_bad(bad, frame, column)}")
    values = values.astype("float64")
    infinite = pd.Series(np.isinf(values.to_numpy()), index=values.index)
    if infinite.any():
        raise SourceError(f"{where}: column {column!r}: not a finite number at {_first_bad(infinite, frame, column)}")
    if bounds is not None:
        low, high = bounds
        outside = values.notna() & ((values < low) | (values > high))
        if outside.any():
            span = (f"at least {low:g}" if high == float("inf") else f"at most {high:g}" if low == float("-inf")
                    else f"from {low:g} to {high:g}")
            raise SourceError(f"{where}: column {column!r}: outside the plausible values ({span}) at "
                              f"{_first_bad(outside, frame, column)}")
    return values


_TRUE = {"true", "1", "yes", "t"}
_FALSE = {"false", "0", "no", "f"}


def coerce_bool(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    """Column as nullable booleans from bools or 'True'/'False' strings."""
    raw = frame[column]
    if raw.dtype == bool:
        return raw.astype("boolean")
    text = raw.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    out[text.isin(_TRUE).fillna(False)] = True
    out[text.isin(_FALSE).fillna(False)] = False
    bad = out.isna() & raw.notna() & (text != "") & (text != "nan")
    if bad.any():
        raise SourceError(f"{where}: column {column!r}: not a boolean at {_first_bad(bad, frame, column)}")
    return out


def coerce_date(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    """Column as tz-naive UTC datetimes; numbers, unparseable dates, dates before
    ``EARLIEST_DATE`` and dates in the future are errors."""
    raw = frame[column]
    # a number is not a date (pandas would read it as nanoseconds since 1970)
    number = raw.map(lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and not pd.isna(v))
    if number.any():
        raise SourceError(f"{where}: column {column!r}: a number, not a date (expected YYYY-MM-DD) at "
                          f"{_first_bad(number.astype(bool), frame, column)}")
    values = pd.to_datetime(raw, errors="coerce", utc=True, format="mixed")
    bad = values.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
    if bad.any():
        raise SourceError(f"{where}: column {column!r}: unparseable date at {_first_bad(bad, frame, column)}")
    values = values.dt.tz_convert(None)
    early = values < pd.Timestamp(EARLIEST_DATE)
    if early.any():
        raise SourceError(f"{where}: column {column!r}: date before {EARLIEST_DATE} (earlier than any Hub record) "
                          f"at {_first_bad(early, frame, column)}")
    limit = pd.Timestamp.now(tz="UTC").tz_convert(None) + pd.Timedelta(days=_MAX_FUTURE_DAYS)
    future = values > limit
    if future.any():
        raise SourceError(f"{where}: column {column!r}: date in the future at {_first_bad(future, frame, column)}")
    return values.astype("datetime64[ns]")


def validate_leaderboard(frame: pd.DataFrame, board: str, where: str, sep: str | None = None,
                         dated: bool = False) -> pd.DataFrame:
    """Check a raw leaderboard against its source schema and coerce typed columns.

    Returns a copy whose numeric, boolean and date columns have usable dtypes; the
    column names are the source's own (emoji included). ``dated``: the table is the board
    as it was on some earlier day (a history), which may lack the columns the source
    gained later (``SourceSchema.added_later``); those stay absent (see :func:`missing_later`).
    """
    spec = schema.SOURCE_SCHEMAS[board]
    absent = set(missing_later(frame, board)) if dated else set()
    _check_columns(frame, tuple(c for c in spec.required if c not in absent), where, sep)
    out = frame.copy()
    out.attrs["row_base"] = frame.attrs.get("row_base", 2 if sep else 1)
    names = out["fullname"].astype("string").str.strip()
    # legacy canonical models ("gpt2-xl") have no namespace; ids never contain spaces
    bad = names.isna() | (names == "") | names.str.contains(r"\s", regex=True).fillna(True)
    if bad.any():
        raise SourceError(f"{where}: column 'fullname': not a repository id at {_first_bad(bad, out, 'fullname')}")
    out["fullname"] = names.astype(object)
    for col, bounds in plausible_ranges(spec).items():
        out[col] = coerce_numeric(out, col, where, bounds)
    avg = out["Average ⬆️"]
    if avg.isna().all():
        raise SourceError(f"{where}: column 'Average ⬆️': no scores at all")
    for col in spec.boolean:
        if col not in absent:
            out[col] = coerce_bool(out, col, where)
    for col in spec.dates:
        if col not in absent:
            out[col] = coerce_date(out, col, where)
    return out


def missing_later(frame: pd.DataFrame, board: str) -> list[str]:
    """The columns a board's source gained over time (``added_later``) that ``frame`` lacks."""
    return [c for c in schema.SOURCE_SCHEMAS[board].added_later if c not in frame.columns]


def read_leaderboard_file(path: str | Path, board: str, dated: bool = False) -> Loaded:
    """Read a leaderboard file: v1 a semicolon CSV, v2 a parquet or comma CSV.

    ``dated``: the file is the board on an earlier day (see :func:`validate_leaderboard`)."""
    path = Path(path)
    if board not in schema.SOURCE_SCHEMAS:  # the hub board has no leaderboard file (hubboard.py)
        raise SourceError(f"unknown board {board!r}; expected one of {', '.join(schema.SOURCE_SCHEMAS)}")
    sep = None
    if path.suffix.lower() not in (".parquet", ".pq"):
        sep = ";" if board == "v1" else ","
    frame = _read_table(path, sep)
    frame = validate_leaderboard(frame, board, str(path), sep, dated=dated)
    return Loaded(frame=frame, source=str(path), revision=None, file_sha256=file_sha256(path))


def load_v2_from_hub(revision: str | None = None) -> tuple[pd.DataFrame, str | None]:
    """Load the v2 leaderboard dataset through ``datasets`` (honours ``HF_ENDPOINT``).

    Returns the raw frame and the dataset revision (commit sha) it came from.
    """
    try:
        import datasets  # heavy import: only when the Hub path is used
        from huggingface_hub import HfApi

        ds = datasets.load_dataset(V2_DATASET, split="train", revision=revision)
        frame = ds.to_pandas()
        try:
            sha = HfApi().dataset_info(V2_DATASET, revision=revision).sha
        except Exception:  # noqa: BLE001 -- the revision is informative only
            sha = revision
    except Exception as exc:  # noqa: BLE001 -- network, auth and format errors alike
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError(
            f"hub:{V2_DATASET}: cannot load the dataset ({type(exc).__name__}: {first}); "
            "use --source FILE to read a local copy"
        ) from None
    return frame, sha


# The files of the dataset's ``train`` split, as its card declares them (``data/train-*``).
V2_TRAIN_FILES = "data/train-*.parquet"


def load_v2_revision(revision: str, cache_dir: str | Path | None = None) -> pd.DataFrame:
    """The v2 dataset's ``train`` split at one revision (a commit sha), raw and unvalidated.

    The split's parquet files at that revision are fetched with ``hf_hub_download``, which
    keeps them in the Hub cache (``cache_dir``, default the user's): a revision is
    downloaded once, however often a history is rebuilt. Honours ``HF_ENDPOINT``.
    """
    where = f"hub:{V2_DATASET}@{revision[:12]}"
    try:
        from fnmatch import fnmatch

        from huggingface_hub import HfApi, hf_hub_download

        files = sorted(f for f in HfApi().list_repo_files(V2_DATASET, repo_type="dataset", revision=revision)
                       if fnmatch(f, V2_TRAIN_FILES))
        if not files:
            raise SourceError(f"{where}: no file matches {V2_TRAIN_FILES}")
        frames = [pd.read_parquet(hf_hub_download(V2_DATASET, f, repo_type="dataset", revision=revision,
                                                  cache_dir=cache_dir)) for f in files]
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 -- network, auth and format errors alike
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError(f"{where}: cannot load the revision ({type(exc).__name__}: {first})") from None
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame.attrs["row_base"] = 1
    return frame


def read_leaderboard_hub(revision: str | None = None) -> Loaded:
    """The v2 leaderboard from the Hub dataset, validated."""
    frame, sha = load_v2_from_hub(revision)
    where = f"hub:{V2_DATASET}"
    frame = validate_leaderboard(frame, "v2", where)
    return Loaded(frame=frame, source=where, revision=sha, file_sha256=None)


# --------------------------------------------------------------------------- study records


# A bare (unbracketed) value accepted as a one-item list: a tag, language, dataset or
# repository id -- letters, digits and ``_ - . / : + @`` and spaces, nothing else.
_BARE_ITEM = re.compile(r"[\w\-./:+@ ]+")


def parse_list(value: object, where: str = "") -> list[str]:
    """Parse a Python-literal list string ("['en', 'fr']") safely into a list of str.

    Accepts lists, None/NaN/"" (-> []), and a bare plain token such as ``"en"`` or
    ``"org/model"`` (-> [value]); anything else (a broken literal, an expression such
    as ``__import__('os')...``) raises :class:`SourceError`. Never evaluates code: only
    ``ast.literal_eval``.
    """
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v) != ""]
    if hasattr(value, "tolist") and not isinstance(value, str):
        return parse_list(value.tolist(), where)
    if isinstance(value, float) and value != value:  # NaN
        return []
    text = str(value).strip()
    if text == "" or text.lower() in ("nan", "none", "[]"):
        return []
    if text.startswith("[") or text.startswith("("):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise SourceError(f"{where}: not a list literal: {text[:80]!r}") from None
        if not isinstance(parsed, (list, tuple)):
            raise SourceError(f"{where}: not a list literal: {text[:80]!r}")
        return [str(v) for v in parsed if v is not None and str(v) != ""]
    # a bare value ("en", "org/model", "unknown") is a one-item list; anything that is not
    # a plain token (brackets, quotes, parentheses: code or a mangled literal) is an error
    if not _BARE_ITEM.fullmatch(text):
        raise SourceError(f"{where}: not a list literal: {text[:80]!r}")
    return [text]


def _repo_ids(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    """A column of repository ids, stripped; an empty id or one with spaces is an error."""
    names = frame[column].astype("string").str.strip()
    bad = names.isna() | (names == "") | names.str.contains(r"\s", regex=True).fillna(True)
    if bad.any():
        raise SourceError(f"{where}: column {column!r}: not a repository id at {_first_bad(bad, frame, column)}")
    return names.astype(object)


def _strip_base_prefix(item: str) -> str:
    """'base_model:finetune:org/x' -> 'org/x'; 'org/x' unchanged."""
    parts = item.split(":")
    return parts[-1].strip()


def base_models_of(card_value: object, tags: list[str], where: str = "") -> list[str]:
    """Declared base models: the model card's ``base_model`` then ``base_model:`` tags."""
    out: list[str] = []
    for item in parse_list(card_value, where):
        item = _strip_base_prefix(item)
        if item and item not in out:
            out.append(item)
    for tag in tags:
        if tag.startswith("base_model:"):
            item = _strip_base_prefix(tag)
            if item and item not in out:
                out.append(item)
    return out


def _license_of(tags: list[str]) -> str | None:
    for tag in tags:
        if tag.startswith("license:"):
            return tag.split(":", 1)[1]
    return None


HUB_MODELS_REQUIRED = ("name", "author", "created_at", "last_modified", "downloads",
                       "library_name", "tags", "language", "datasets", "base_model")
REPO_COMMITS_REQUIRED = ("name", "num_of_commits", "first_commit", "last_commit", "authors")


def read_study_records(directory: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """The study's Hub API records (hub_models.csv, repo_commits.csv) as enrichment frames.

    Returns ``(hub_records, commit_records, counts)`` with the columns of
    ``schema.HUB_RECORD_COLUMNS`` / ``schema.COMMIT_RECORD_COLUMNS`` -- the same frames the
    live Hub enrichment produces.

    Rules (documented in the README):

    * repeated calls for one name: the last record in file order wins (the latest call);
    * a record whose ``author`` is not the asked namespace (compared case-insensitively;
      an id without a namespace, such as ``gpt2``, is its own namespace) is a *stale
      copy* when its payload (author, created_at, last_modified, downloads, tags) is
      identical to the record of another name -- the study's scraper reused the previous
      answer after a failed call -- unless that other name is ``author/<model part>``
      itself (the Hub redirected the old name to the moved repository, e.g. ``gpt2`` ->
      ``openai-community/gpt2``). Stale copies are dropped (``hub_outcome = "stale"``,
      no Hub fields);
    * otherwise it is a *rename*: the Hub answered for a moved repository, ``hub_id`` =
      ``author/<model part>`` and ``hub_outcome = "renamed"``.
    """
    directory = Path(directory)
    hub_path = directory / "hub_models.csv"
    commits_path = directory / "repo_commits.csv"
    hub = _read_table(hub_path, ",")
    _check_columns(hub, HUB_MODELS_REQUIRED, str(hub_path), ",")
    where = str(hub_path)
    hub = hub.reset_index(drop=True)
    hub["name"] = _repo_ids(hub, "name", where)
    created = coerce_date(hub, "created_at", where)
    modified = coerce_date(hub, "last_modified", where)
    downloads = coerce_numeric(hub, "downloads", where, COUNT_RANGE)
    counts = {"hub_rows": int(len(hub))}

    # payload identity for stale-copy detection
    payload = (hub["author"].astype(str) + "|" + hub["created_at"].astype(str) + "|"
               + hub["last_modified"].astype(str) + "|" + hub["downloads"].astype(str) + "|"
               + hub["tags"].astype(str))
    # legacy ids without a namespace ("gpt2") count as their own namespace
    namespace = hub["name"].str.split("/").str[0]
    foreign = namespace.str.lower() != hub["author"].astype(str).str.lower()
    lower_names = hub["name"].str.lower()
    names_per_payload = pd.DataFrame({"p": payload, "n": lower_names}).groupby("p")["n"].agg(set)
    shared = payload.map(names_per_payload.map(len)) > 1
    # the repository the Hub would have redirected to: author/<model part>; when the
    # payload is shared with that repository's own record, it is a redirect, not a copy
    target = (hub["author"].astype(str) + "/" + hub["name"].str.split("/").str[-1]).str.lower()
    redirect = pd.Series([t in names_per_payload[p] for t, p in zip(target, payload)], index=hub.index)
    stale = foreign & shared & ~redirect

    records = []
    for i in range(len(hub)):
        name = hub.at[i, "name"]
        row_where = f"{where}: row {i + 2} ({name})"
        if stale.iat[i]:
            records.append({"name": name, "hub_id": None, "hub_outcome": "stale", "author": None,
                            "created_at": pd.NaT, "last_modified": pd.NaT, "downloads": float("nan"),
                            "likes": float("nan"), "library": None, "tags": [], "language": [],
                            "datasets": [], "base_model": [], "license": None})
            continue
        tags = parse_list(hub.at[i, "tags"], f"{row_where}: column 'tags'")
        author = hub.at[i, "author"]
        author = None if pd.isna(author) else str(author)
        model_part = name.split("/", 1)[-1]
        renamed = bool(foreign.iat[i]) and author is not None
        library = hub.at[i, "library_name"]
        records.append({
            "name": name,
            "hub_id": f"{author}/{model_part}" if renamed else name,
            "hub_outcome": "renamed" if renamed else "ok",
            "author": author,
            "created_at": created.iat[i],
            "last_modified": modified.iat[i],
            "downloads": downloads.iat[i],
            "likes": float("nan"),
            "library": None if pd.isna(library) else str(library),
            "tags": tags,
            "language": parse_list(hub.at[i, "language"], f"{row_where}: column 'language'"),
            "datasets": parse_list(hub.at[i, "datasets"], f"{row_where}: column 'datasets'"),
            "base_model": base_models_of(hub.at[i, "base_model"], tags, f"{row_where}: column 'base_model'"),
            "license": _license_of(tags),
        })
    hub_records = pd.DataFrame.from_records(records, columns=list(schema.HUB_RECORD_COLUMNS))
    counts["hub_stale"] = int(stale.sum())
    counts["hub_renamed"] = int((hub_records["hub_outcome"] == "renamed").sum())
    before = len(hub_records)
    # last record per name wins, unless it is stale and an earlier one is not
    hub_records["_good"] = hub_records["hub_outcome"] != "stale"
    hub_records["_order"] = range(len(hub_records))
    hub_records = (hub_records.sort_values(["name", "_good", "_order"])
                   .drop_duplicates("name", keep="last")
                   .drop(columns=["_good", "_order"])
                   .sort_values("name").reset_index(drop=True))
    counts["hub_repeated"] = before - len(hub_records)

    commits = _read_table(commits_path, ",")
    _check_columns(commits, REPO_COMMITS_REQUIRED, str(commits_path), ",")
    cwhere = str(commits_path)
    commits = commits.reset_index(drop=True)
    first = coerce_date(commits, "first_commit", cwhere)
    last = coerce_date(commits, "last_commit", cwhere)
    ncommits = coerce_numeric(commits, "num_of_commits", cwhere, COUNT_RANGE)
    commit_records = pd.DataFrame({
        "name": _repo_ids(commits, "name", cwhere),
        "num_commits": ncommits,
        "first_commit": first,
        "last_commit": last,
        "authors": [parse_list(v, f"{cwhere}: row {i + 2}: column 'authors'")
                    for i, v in enumerate(commits["authors"])],
    })
    counts["commit_rows"] = int(len(commit_records))
    commit_records = commit_records.drop_duplicates("name", keep="last").reset_index(drop=True)
    return hub_records, commit_records, counts


def study_records_hash(directory: str | Path) -> dict[str, str]:
    """SHA-256 of the study's record files (for the manifest)."""
    directory = Path(directory)
    return {p: file_sha256(directory / p) for p in ("hub_models.csv", "repo_commits.csv")
            if (directory / p).exists()}
