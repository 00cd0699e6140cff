"""Model Explorer: every model of the board in one searchable, sortable table.

:func:`filter_models` applies the sidebar's filters (each one a plain row condition, all
combined with *and*); :func:`table` returns the filtered rows with the columns of the CSV;
:func:`grid_frame` turns them into what the app's data grid shows (display names, numbers
to two decimals, a Hub link per model), best average score first. The grid's own
per-column filters and sorting run in the browser on top of that, and the app's CSV is
what the grid then shows (:func:`table_of` those rows). Which columns the grid shows is
the person's choice (:data:`COLUMN_GROUPS`, :func:`hidden_columns`).

Speed (the v1 board has 6k+ models): the grid is split in two. The sidebar filters that
are one column's filter in the grid -- **MoE** (the MoE column is ``yes``/``no``),
**official** (the Official column) and **minimum score** (the lower bound of the range of the
chosen score's column: Average, or a benchmark's) -- are applied by the grid itself: :func:`grid_filters` gives the grid's
column filters for them, so changing them sends a few bytes, not rows. The others
(type, size class, license, dates, parameters, merges) pick the rows the grid holds (:func:`grid_view`, cut
from the board's grid built and serialized once per snapshot). :func:`table` (the CSV)
applies all of them; both sides compare the same values (scores to two decimals, a
missing MoE flag as ``no``), so the grid shows the CSV's rows.

A board of more than :data:`GRID_MAX_ROWS` models (the hub board: hundreds of thousands)
is too large to hold in a browser's grid (a 500,000-model board is 160 MB of rows; 10,000 are 3 MB). There
every filter picks rows on the server and the grid holds the first :data:`GRID_MAX_ROWS`
matches in its order (:func:`grid_view`, ``GridView.total`` says how many match); the CSV
then has every match (the sidebar's filters).

Filters (a model must pass all of them):

* **type** and **size class** -- the model's value is one of the ticked ones (``unknown``
  stands for models without a type, ``Unknown`` for models whose parameter count, and so
  size class, is unknown);
* **license** -- one of the ticked licenses; the board's most common licenses are listed
  by name, :data:`LICENSE_REST` stands for every other license and for none;
* **MoE** -- all, MoE only or dense only; **official** -- all, official providers only or
  community only (the board's flag, else the curated provider list, as in
  :mod:`llmtrends.pipeline.providers`);
* **created** -- the repository's creation day lies in [start, end] (whole days); models
  without a real creation date (missing, or the Hub's 2022-03-02 placeholder) are kept
  only when "include undated" is ticked, whatever the range;
* **minimum score** -- ``score >= min_score`` (inclusive) on the score chosen (``Params.score``:
  the board's average, or one of its benchmarks; a board without any score has none), to two
  decimals as the grid shows it; a model without that score passes only when the minimum is 0;
* **parameters** -- ``params_b`` in [low, high] billions (inclusive); a model whose size is
  unknown passes only while the range is the board's whole range (0 to
  :func:`params_ceiling`);
* **hide merges** -- models the leaderboard flags as merges are left out.

Flagged models never reach a board (the pipeline removes them, :func:`flagged_note` says
how many), so there is no filter for them. The hub board has no Average column: its models
are scored on different benchmarks, and it has no average over them (see
:mod:`llmtrends.views.selection`, ``SCORE_AVERAGE``).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import quote

import numpy as np
import pandas as pd

from llmtrends import schema
from llmtrends.pipeline import providers
from . import inputs, provenance, selection

ID = "explorer"
TITLE = "Model Explorer"
DESCRIPTION = ("Every model of the board, filtered by the controls on the left; type in the boxes under the "
               "column names to search a column, click a column name to sort. Select rows (click; "
               "Ctrl/Shift-click for several) to compare them on the Compare Models tab (the first five).")
FIGURES: tuple[str, ...] = ()
HUB_URL = "https://huggingface.co/"
TOP_LICENSES = 8
LICENSE_REST = "(rest)"
LICENSE_REST_LABEL = "any other license, or none"
SIZE_UNKNOWN = "Unknown"
TYPE_UNKNOWN = "unknown"  # models the leaderboard gives no type (some of v1)
SIZE_CHOICES = (*schema.SIZE_CLASSES, SIZE_UNKNOWN)
MOE_CHOICES = {"all": "All", "moe": "MoE only", "dense": "Dense only"}
OFFICIAL_CHOICES = {"all": "All", "official": "Official providers", "community": "Community"}
# Licences that say nothing: grouped with the missing ones under LICENSE_REST.
_NO_LICENSE = frozenset({"", "?", "unknown", "none", "nan"})

_FIXED_BEFORE = {
    "repo_id": "model repository (namespace/name)",
    "url": "the model's page on the Hugging Face Hub",
    "type": "model type (the leaderboard's label without emoji)",
    "architecture_family": "architecture family",
    "size_class": "Small (<= 9B), Medium (9-40B), Large (> 40B); empty when the size is unknown",
    "params_b": "parameters in billions (empty when unknown)",
    "average": "the leaderboard's average score (v1 and v2; the hub board has no average and no such column)",
}
_FIXED_AFTER = {
    "license": "the repository's license as the Hub reports it (empty when none)",
    "moe": "true for a mixture-of-experts model",
    "merged": "true for a merge of other models (the leaderboard's flag)",
    "official": "true for an official provider (board flag, else the curated provider list)",
    "created_at": "repository creation day on the Hub (ISO date; empty when unknown or the 2022-03-02 placeholder)",
    "likes": "likes on the Hub",
    "co2_kg": "CO2 cost of the evaluation in kg (v2 only; empty on v1)",
}
# The CSV's columns: the fixed ones around the board's benchmarks (v1: arc ... gsm8k, v2:
# ifeval ... mmlu_pro); see csv_columns(board) for one board's exact list.
CSV_COLUMNS = {
    **_FIXED_BEFORE,
    **{col: f"{lbl} score ({selection.board_name(board)} only)" for board in schema.BOARDS
       for col, lbl in schema.benchmark_labels(board).items()},
    **_FIXED_AFTER,
}


def csv_columns(board: str) -> list[str]:
    """The exact CSV (and :func:`table`) columns of one board (no ``average`` on a board
    without one)."""
    before = [col for col in _FIXED_BEFORE if col != selection.SCORE_AVERAGE or board in schema.AVERAGE_BOARDS]
    return [*before, *schema.benchmark_columns(board), *_FIXED_AFTER]


# --------------------------------------------------------------------------- params


@dataclass(frozen=True)
class Params:
    start: dt.date
    end: dt.date
    types: tuple[str, ...]
    sizes: tuple[str, ...]
    licenses: tuple[str, ...]
    moe: str = "all"
    official: str = "all"
    undated: bool = True
    min_score: float = 0.0
    score: str | None = selection.SCORE_AVERAGE  # the minimum's column (selection.score_choices; None: the board has none)
    params_b: tuple[float, float] | None = None  # None: any size, unknown ones included
    hide_merges: bool = False

    @classmethod
    @selection.per_board
    def defaults(cls, snap) -> "Params":
        start, end = selection.date_bounds(snap.models)
        return cls(start=start, end=end, types=tuple(present_types(snap.models)),
                   sizes=tuple(present_sizes(snap.models)), licenses=tuple(license_choices(snap.models, TOP_LICENSES)),
                   score=selection.default_score(snap))

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        d = cls.defaults(snap)
        start, end = inputs.parse_date_range(inputs.raw_get(raw, "dates", (d.start, d.end)))
        types = inputs.parse_choices(inputs.raw_get(raw, "types", d.types), d.types, "types",
                                empty_message="Tick at least one model type.")
        sizes = inputs.parse_choices(inputs.raw_get(raw, "sizes", d.sizes), d.sizes, "size classes",
                                empty_message="Tick at least one size class.")
        licenses = inputs.parse_choices(inputs.raw_get(raw, "licenses", d.licenses), d.licenses, "licenses",
                                   empty_message="Tick at least one license.")
        moe = inputs.parse_choice(inputs.raw_get(raw, "moe", d.moe), tuple(MOE_CHOICES), "MoE")
        official = inputs.parse_choice(inputs.raw_get(raw, "official", d.official), tuple(OFFICIAL_CHOICES), "official")
        undated = inputs.parse_bool(inputs.raw_get(raw, "undated", d.undated), "include undated")
        hide_merges = inputs.parse_bool(inputs.raw_get(raw, "hide_merges", d.hide_merges), "hide merges")
        return cls(start=start, end=end, types=types, sizes=sizes, licenses=licenses, moe=moe,
                   official=official, undated=undated,
                   min_score=parse_score(inputs.raw_get(raw, "min_score", d.min_score)),
                   params_b=parse_params_range(raw.get("params_b"), params_ceiling(snap.models)),
                   hide_merges=hide_merges,
                   score=selection.parse_score(raw.get("score"), snap, required=False))


@selection.per_board
def params_ceiling(models: pd.DataFrame) -> float:
    """The top of the parameters filter's range: the board's largest model, in whole billions
    rounded up (1 on a board without sizes)."""
    top = pd.to_numeric(models["params_b"], errors="coerce").max() if "params_b" in models.columns else np.nan
    return float(math.ceil(top)) if pd.notna(top) and top > 0 else 1.0


def parse_params_range(value: object, ceiling: float) -> tuple[float, float] | None:
    """The parameters filter (billions) from its slider: None for the whole range 0 to
    ``ceiling`` (or no value yet), else ``(low, high)``; InvalidInput for anything a slider
    on that range cannot give."""
    if value is None:
        return None
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise inputs.InvalidInput("parameters: expected a low and a high bound")
    low, high = (parse_bound(v, ceiling) for v in value)
    if low > high:
        raise inputs.InvalidInput(f"parameters: {low:g} is above {high:g}")
    return None if low <= 0 and high >= ceiling else (low, high)


def parse_bound(value: object, ceiling: float) -> float:
    """One end of the parameters range: a number from 0 to ``ceiling``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise inputs.InvalidInput("parameters: expected numbers of billions")
    if not 0 <= value <= ceiling:
        raise inputs.InvalidInput(f"parameters: {value:g} is outside 0-{ceiling:g}")
    return float(value)


def flagged_note(snap) -> str:
    """What the explorer says instead of a "hide flagged" filter: flagged models are not on
    the board, with how many the pipeline removed (from the snapshot's manifest)."""
    removed = ((snap.manifest or {}).get("counts") or {}).get("flagged_removed")
    if isinstance(removed, int) and not isinstance(removed, bool):
        return (f"Flagged models: none on this board (the pipeline removed the {removed:,} flagged "
                f"model{'s' if removed != 1 else ''} of the source).")
    return "Flagged models: none on this board (the pipeline removes flagged models)."


def parse_score(value: object, name: str = "minimum score") -> float:
    """A score threshold in [0, 100]; InvalidInput otherwise (bools and NaN included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise inputs.InvalidInput(f"{name}: expected a number from 0 to 100")
    if not 0 <= value <= 100:
        raise inputs.InvalidInput(f"{name}: {value:g} is outside 0-100")
    return float(value)


def present_types(models: pd.DataFrame) -> list[str]:
    """The board's types in legend order, with ``unknown`` last when some types are missing."""
    return selection.present_types(models) + ([TYPE_UNKNOWN] if models["type"].isna().any() else [])


def present_sizes(models: pd.DataFrame) -> list[str]:
    """Size classes the board has, with ``Unknown`` last when some sizes are unknown."""
    have = set(models["size_class"].dropna())
    out = [s for s in schema.SIZE_CLASSES if s in have]
    return out + ([SIZE_UNKNOWN] if models["size_class"].isna().any() else [])


def _license_key(models: pd.DataFrame) -> pd.Series:
    """Each model's license, with the ones that say nothing as missing."""
    lic = models["license"].astype("string").str.strip()
    return lic.where(~lic.str.lower().isin(_NO_LICENSE))


def license_choices(models: pd.DataFrame, top: int = TOP_LICENSES) -> list[str]:
    """The ``top`` most common licenses (most common first, ties by name), then LICENSE_REST."""
    counts = _license_key(models).value_counts(dropna=True)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [str(k) for k, _ in ranked[:top]] + [LICENSE_REST]


# --------------------------------------------------------------------------- tables

_CACHE: dict[int, tuple[object, pd.DataFrame]] = {}
_CACHE_LOCK = threading.Lock()


def all_models(snap) -> pd.DataFrame:
    """Every model with the CSV columns plus the filter keys (computed once per snapshot).

    Extra columns: ``type_key`` (type or unknown), ``license_key`` (the license, or LICENSE_REST when not among the board's
    top ones), ``size_key`` (size class or Unknown), ``created_day`` (the real creation day,
    NaT when unknown).
    """
    key = id(snap.models)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is snap.models:
            return hit[1]
    frame = _build(snap)
    with _CACHE_LOCK:
        if len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (snap.models, frame)
    return frame


def _build(snap) -> pd.DataFrame:
    m = snap.models
    bench = schema.benchmark_columns(snap.board)
    n = len(m)

    def col(name: str, dtype: str = "float64") -> pd.Series:
        if name in m.columns:
            return m[name]
        return pd.Series(np.nan if dtype == "float64" else None, index=m.index, dtype=dtype)

    repo = m["repo_id"].astype(str)
    real = selection.dated(m).index
    created = pd.Series(pd.NaT, index=m.index, dtype="datetime64[ns]")
    created.loc[real] = pd.to_datetime(m.loc[real, "created_at"]).dt.normalize().astype("datetime64[ns]")
    official = providers.resolve_official(m)["official"] if n else pd.Series([], dtype=bool)
    out = pd.DataFrame({
        "repo_id": repo,
        "url": [HUB_URL + quote(r, safe="/-_.") for r in repo],
        "type": col("type", "object"),
        "architecture_family": col("architecture_family", "object"),
        "size_class": col("size_class", "object"),
        "params_b": pd.to_numeric(col("params_b"), errors="coerce").astype("float64"),
        "average": pd.to_numeric(col("average"), errors="coerce").astype("float64"),
        **{b: pd.to_numeric(col(b), errors="coerce").astype("float64") for b in bench},
        "license": col("license", "object"),
        "moe": col("moe", "object").astype("boolean"),
        "merged": col("merged", "object").astype("boolean"),
        "official": official.astype("boolean"),
        "created_at": created,
        "likes": pd.to_numeric(col("likes"), errors="coerce").astype("float64"),
        "co2_kg": pd.to_numeric(col("co2_kg"), errors="coerce").astype("float64"),
    }, index=m.index)
    top = set(license_choices(m, TOP_LICENSES)) - {LICENSE_REST}
    lic = _license_key(m)
    out["license_key"] = lic.where(lic.isin(top), LICENSE_REST).astype(str)
    out["type_key"] = out["type"].where(out["type"].notna(), TYPE_UNKNOWN).astype(str)
    out["size_key"] = out["size_class"].where(out["size_class"].notna(), SIZE_UNKNOWN).astype(str)
    out["created_day"] = created
    return out.reset_index(drop=True)


def _keep(f: pd.DataFrame, params: Params) -> np.ndarray:
    """Boolean mask over the board's rows (``all_models`` order): which pass every filter."""
    keep = f["type_key"].isin(params.types).to_numpy().copy()  # to_numpy may be a read-only view (copy-on-write)
    keep &= f["size_key"].isin(params.sizes).to_numpy()
    keep &= f["license_key"].isin(params.licenses).to_numpy()
    if params.moe != "all":
        keep &= (f["moe"].fillna(False).to_numpy(dtype=bool) == (params.moe == "moe"))
    if params.official != "all":
        keep &= (f["official"].fillna(False).to_numpy(dtype=bool) == (params.official == "official"))
    day = f["created_day"]
    in_range = ((day >= pd.Timestamp(params.start)) & (day <= pd.Timestamp(params.end))).to_numpy(dtype=bool)
    undated = day.isna().to_numpy()
    keep &= in_range | (undated & params.undated)
    if params.score in f.columns:
        avg = f[params.score].round(2).to_numpy()  # as the grid shows and filters it
    else:  # no score on this board: a model passes only when the minimum is 0
        avg = np.full(len(f), np.nan)
    with np.errstate(invalid="ignore"):
        keep &= (avg >= params.min_score) | (np.isnan(avg) & (params.min_score <= 0))
        if params.params_b is not None:
            size = f["params_b"].to_numpy()
            keep &= (size >= params.params_b[0]) & (size <= params.params_b[1])
    if params.hide_merges:
        keep &= ~f["merged"].fillna(False).to_numpy(dtype=bool)
    return keep


def filter_models(snap, params: Params) -> pd.DataFrame:
    """The models passing every filter of ``params`` (see the module docstring), board order."""
    f = all_models(snap)
    return f.loc[_keep(f, params)]


def table(snap, params: Params) -> pd.DataFrame:
    """The filtered models with the CSV columns; EmptySelection when none passes."""
    rows = filter_models(snap, params)
    if rows.empty:
        raise inputs.EmptySelection("No model matches these filters.")
    out = rows[csv_columns(snap.board)].reset_index(drop=True)
    return provenance.record_shown(out, len(out))


def figure(tbl: pd.DataFrame, params: Params, which: str = ""):
    """The explorer has no figure (FIGURES is empty)."""
    raise inputs.InvalidInput(f"figure: unknown plot {which!r}")


# --------------------------------------------------------------------------- display



def link_html(repo_id: str) -> str:
    """An HTML-safe link to a model's Hub page (the id escaped, the URL quoted)."""
    url = HUB_URL + quote(repo_id, safe="/-_.")
    # kept short: the board's 6k links are ~half of what a sidebar change sends to the grid
    return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">Hub ↗</a>'


GRID_NAMES = {"repo_id": "Model", "url": "Hub", "type": "Type", "architecture_family": "Family",
              "size_class": "Size", "params_b": "Params (B)", "average": "Average", "license": "License",
              "moe": "MoE", "official": "Official", "created_at": "Created", "likes": "Likes",
              "co2_kg": "CO₂ (kg)"}


def grid_name(board: str, column: str) -> str:
    """A CSV column's name in the data grid (a benchmark under its leaderboard name)."""
    return GRID_NAMES.get(column) or schema.benchmark_labels(board)[column]


# The grid's columns a person can show or hide (the model's name is always shown), by what
# the column chooser calls them; "Benchmarks" is every benchmark column of the board.
COLUMN_GROUPS = ("Hub", "Type", "Family", "Size", "Params (B)", "Average", "Benchmarks", "License", "MoE",
                 "Official", "Created", "Likes", "CO₂ (kg)")
# Shown by default: the sizes and scores, so the benchmarks fit beside the model names.
DEFAULT_COLUMNS = ("Hub", "Size", "Params (B)", "Average", "Benchmarks")


def hidden_columns(board: str, shown: Sequence[str]) -> list[int]:
    """Positions (0-based) in :func:`grid_columns` of the columns the chooser does not show
    (``shown``: names from :data:`COLUMN_GROUPS`; anything else is ignored)."""
    bench = set(schema.benchmark_labels(board).values())
    wanted = {"Model", *shown}
    return [i for i, name in enumerate(grid_columns(board))
            if not (name in wanted or (name in bench and "Benchmarks" in wanted))]


def grid_columns(board: str) -> list[str]:
    """The data grid's column names (display names; benchmarks under their leaderboard names):
    the CSV's columns but the merge flag (a sidebar filter)."""
    bench = set(schema.benchmark_columns(board))
    return [grid_name(board, col) for col in csv_columns(board) if col in GRID_NAMES or col in bench]


def grid_frame(tbl: pd.DataFrame, board: str, link=None) -> pd.DataFrame:
    """What the data grid shows for the table: display names, numbers to two decimals,
    yes/no flags (missing: no), ISO dates (they sort as text), and a ``Hub`` column of links.

    ``link`` wraps each link's HTML text (the app passes ``htmltools.HTML`` so the grid
    renders it as a link; the library stays free of UI packages); by default the column
    holds the escaped HTML strings.
    """
    def yes_no(s: pd.Series) -> list[str]:
        # a missing flag shows as "no", as the MoE / official filters count it
        return ["yes" if v is True else "no" for v in s.astype("boolean").fillna(False).tolist()]

    bench = schema.benchmark_columns(board)
    links = [link_html(r) for r in tbl["repo_id"]]
    if link is not None:
        links = [link(h) for h in links]
    out = pd.DataFrame({
        "Model": tbl["repo_id"].astype(str).to_numpy(),
        "Hub": pd.Series(links, dtype=object).to_numpy(),
        "Type": tbl["type"].fillna("").astype(str).to_numpy(),
        "Family": tbl["architecture_family"].fillna("").astype(str).to_numpy(),
        "Size": tbl["size_class"].fillna("").astype(str).to_numpy(),
        "Params (B)": tbl["params_b"].round(2).to_numpy(),
    })
    if selection.SCORE_AVERAGE in tbl.columns:
        out["Average"] = tbl[selection.SCORE_AVERAGE].round(2).to_numpy()
    labels = schema.benchmark_labels(board)
    for b in bench:
        out[labels[b]] = tbl[b].round(2).to_numpy()
    out["License"] = tbl["license"].fillna("").astype(str).to_numpy()
    out["MoE"] = yes_no(tbl["moe"])
    out["Official"] = yes_no(tbl["official"])
    out["Created"] = tbl["created_at"].dt.strftime("%Y-%m-%d").fillna("").to_numpy()
    out["Likes"] = tbl["likes"].to_numpy()
    out["CO₂ (kg)"] = tbl["co2_kg"].round(2).to_numpy()
    return out


@dataclass(frozen=True)
class GridView:
    """What the data grid shows for one selection: ``frame`` (:func:`grid_frame` of the
    filtered table) and ``rows``, the same cells as JSON-ready lists (missing numbers as
    ``None``), taken from the board's rows serialized once per snapshot."""
    frame: pd.DataFrame
    rows: list[list]
    total: int | None = None  # the models matching, when more than the grid holds (a large board)

    @property
    def cut(self) -> bool:
        """Whether the grid holds only the first of more matching models."""
        return self.total is not None and self.total > len(self.rows)

    def repo_ids(self, rows: Sequence[int]) -> tuple[str, ...]:
        """Repo ids of the grid's selected rows (positions in ``frame``), in frame order."""
        return selected_repo_ids(self.frame[["Model"]].rename(columns={"Model": "repo_id"}), rows)


@dataclass(frozen=True)
class Selection:
    """Models picked in the grid: a set of repository ids, valid only on the board where
    they were picked (another board's rows 1 and 2 are other models)."""
    board: str | None = None
    repo_ids: tuple[str, ...] = ()

    def on(self, board: str) -> tuple[str, ...]:
        """The picked ids if they were picked on ``board``, else none."""
        return self.repo_ids if board == self.board else ()


def table_of(snap, repo_ids: Sequence[object]) -> pd.DataFrame:
    """The CSV table (:func:`table`'s columns) of the given models in the given order, e.g.
    the rows a grid shows after its own search, filters and sorting; ids not on the board
    are left out, and none gives the header alone."""
    f = all_models(snap)
    pos = pd.Index(f["repo_id"]).get_indexer([r for r in repo_ids if isinstance(r, str)])
    out = f[csv_columns(snap.board)].take(pos[pos >= 0]).reset_index(drop=True)
    return provenance.record_shown(out, len(out))


_GRID_CACHE: dict[tuple[int, int], tuple[object, object, pd.DataFrame, list[list], np.ndarray]] = {}


def _json_rows(frame: pd.DataFrame) -> list[list]:
    """The frame's rows as lists of plain Python values (NaN -> None), column by column."""
    cols = []
    for name in frame.columns:
        vals = frame[name].tolist()
        if frame[name].dtype.kind == "f":
            vals = [None if v != v else v for v in vals]
        cols.append(vals)
    return [list(r) for r in zip(*cols)]


def grid_order(f: pd.DataFrame) -> np.ndarray:
    """The grid's order of the rows of ``f`` (an :func:`all_models` frame) as positions: by
    average score, best first (as the grid shows it, to two decimals; none last), ties by
    repo id. The grid opens sorted so, as a model chooser: its own sorting starts from there."""
    key = pd.DataFrame({"avg": f["average"].round(2).to_numpy(), "repo": f["repo_id"].to_numpy()})
    return key.sort_values(["avg", "repo"], ascending=[False, True], na_position="last",
                           kind="mergesort").index.to_numpy()


def _board_grid(snap, link) -> tuple[pd.DataFrame, list[list], np.ndarray]:
    """The whole board's grid frame and JSON rows in the grid's order, and that order
    (:func:`grid_order`), computed once per snapshot and ``link``."""
    key = (id(snap.models), id(link))
    with _CACHE_LOCK:
        hit = _GRID_CACHE.get(key)
        if hit is not None and hit[0] is snap.models and hit[1] is link:
            return hit[2], hit[3], hit[4]
    f = all_models(snap)
    order = grid_order(f)
    frame = grid_frame(f[csv_columns(snap.board)].take(order).reset_index(drop=True), snap.board, link=link)
    rows = _json_rows(frame)
    with _CACHE_LOCK:
        if len(_GRID_CACHE) >= 4:
            _GRID_CACHE.pop(next(iter(_GRID_CACHE)))
        _GRID_CACHE[key] = (snap.models, link, frame, rows, order)
    return frame, rows, order


# The controls whose filters are the grid's own column filters (see :func:`grid_filters`).
GRID_SIDE = ("moe", "official", "min_score", "score")


def server_params(params: Params) -> Params:
    """``params`` without the filters the grid applies itself (see :func:`grid_filters`)."""
    return replace(params, moe="all", official="all", min_score=0.0)


# The most rows the grid holds: far above the real leaderboards (v1 6,610 models), far below
# the hub board, whose rows a browser could not take at once.
GRID_MAX_ROWS = 10_000


def grid_cut(snap) -> bool:
    """Whether the board has more models than the grid holds: every filter is then the
    server's and the grid holds the first :data:`GRID_MAX_ROWS` matches."""
    return len(snap.models) > GRID_MAX_ROWS


def server_controls(snap, names: Sequence[str]) -> tuple[str, ...]:
    """Of the sidebar's control ids ``names``, those whose filters pick the rows the grid is
    sent: all of them on a board larger than the grid holds (:func:`grid_cut`), else all
    but :data:`GRID_SIDE` (the grid's own column filters)."""
    return tuple(names) if grid_cut(snap) else tuple(n for n in names if n not in GRID_SIDE)


@selection.per_board
def _large_board_order(snap) -> np.ndarray:
    """A large board's grid order (:func:`grid_order`), sorted once per snapshot."""
    return grid_order(all_models(snap))


def _large_board_grid(snap, params: Params, link) -> GridView:
    """A large board's grid: every filter of ``params``, the first :data:`GRID_MAX_ROWS`
    matches in the grid's order, serialized for this selection only."""
    f = all_models(snap)
    order = _large_board_order(snap)
    pos = order[_keep(f, params)[order]]
    frame = grid_frame(f[csv_columns(snap.board)].take(pos[:GRID_MAX_ROWS]).reset_index(drop=True), snap.board,
                       link=link)
    return GridView(frame=frame, rows=_json_rows(frame), total=len(pos))


def cut_note(g: GridView) -> str | None:
    """What the page says above a grid that holds only the first matches; None otherwise."""
    if not g.cut:
        return None
    return (f"The grid holds the first {len(g.rows):,} of the {g.total:,} models that match, in its order: "
            "narrow the filters to reach the others. Its own search, filters and sorting work on these "
            "rows; the CSV download has every match of the sidebar's filters.")


def grid_view(snap, params: Params, link=None) -> GridView:
    """The rows the grid holds for ``params``: the models passing its type, size, license
    and date filters (MoE, official and minimum score are the grid's own column filters,
    :func:`grid_filters`), best average first (:func:`grid_order`). Cut from the board's grid
    built once per snapshot: a change costs a mask and a row pick, not a display table and
    its serialization. ``link`` as in :func:`grid_frame`. On a board larger than the grid
    holds (:func:`grid_cut`), every filter of ``params`` and the first matches only."""
    if grid_cut(snap):
        return _large_board_grid(snap, params, link)
    frame, rows, order = _board_grid(snap, link)
    pos = np.flatnonzero(_keep(all_models(snap), server_params(params))[order])
    if len(pos) == len(rows):
        return GridView(frame=frame, rows=rows)
    return GridView(frame=frame.iloc[pos].reset_index(drop=True), rows=[rows[i] for i in pos])


def _column_filter(col: int, value) -> dict:
    return {"col": col, "value": list(value) if isinstance(value, (list, tuple)) else value}


def _bound(v) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))


def _valid_filter_value(value) -> bool:
    """A column filter value the grid accepts: text, or a [min, max] range with a bound."""
    if isinstance(value, str):
        return True
    return (isinstance(value, (list, tuple)) and len(value) == 2 and all(_bound(v) for v in value)
            and not (value[0] is None and value[1] is None))


def grid_filters(params: Params, board: str, current: Sequence[Mapping] = ()) -> list[dict]:
    """The grid's column filters for ``params``: ``current`` (the grid's filters as the
    browser reports them, ``{"col": i, "value": ...}``) with the sidebar's part put in.

    The sidebar owns the MoE and Official columns' filters (``yes`` / ``no``, none for
    "all") and the lower bound of the chosen score's column (``min_score`` on ``score``: the
    Average column, or a benchmark's; none at 0); the upper bound of that column and every
    other column's filter are the user's and kept -- except, on another score column, a lower
    bound equal to the minimum: the sidebar's own, left behind when the score chosen changed.
    Result sorted by column.
    """
    cols = grid_columns(board)
    moe, official = cols.index("MoE"), cols.index("Official")
    score_names = {grid_name(board, s) for s in (selection.SCORE_AVERAGE, *schema.benchmark_columns(board))}
    scores = {i for i, name in enumerate(cols) if name in score_names}
    chosen = grid_name(board, params.score) if params.score else None
    average = cols.index(chosen) if chosen in cols else None
    out: dict[int, dict] = {}
    user_max = None
    for f in current:
        col = f.get("col") if isinstance(f, Mapping) else None
        if not isinstance(col, int) or isinstance(col, bool) or not 0 <= col < len(cols):
            continue
        value = f.get("value")
        if not _valid_filter_value(value):
            continue
        if col == average:
            user_max = value[1] if isinstance(value, (list, tuple)) else None
        elif col in scores and isinstance(value, (list, tuple)) and params.min_score > 0 \
                and value[0] == params.min_score:
            if value[1] is not None:  # the sidebar's former minimum goes, the user's maximum stays
                out[col] = _column_filter(col, [None, value[1]])
        elif col not in (moe, official):
            out[col] = _column_filter(col, value)
    if params.moe != "all":
        out[moe] = _column_filter(moe, "yes" if params.moe == "moe" else "no")
    if params.official != "all":
        out[official] = _column_filter(official, "yes" if params.official == "official" else "no")
    low = params.min_score if params.min_score > 0 else None
    if average is not None and (low is not None or user_max is not None):
        out[average] = _column_filter(average, [low, user_max])
    return [out[k] for k in sorted(out)]


def grid_sort(value: object, board: str) -> list[dict]:
    """The grid's sorting from a link (``[{"col": i, "desc": bool}, ...]``, as the grid
    reports it): the entries that name one of the board's grid columns, each column once;
    anything else is left out."""
    if not isinstance(value, (list, tuple)):
        return []
    out, seen, ncol = [], set(), len(grid_columns(board))
    for entry in value:
        col = entry.get("col") if isinstance(entry, Mapping) else None
        desc = entry.get("desc") if isinstance(entry, Mapping) else None
        if isinstance(col, int) and not isinstance(col, bool) and 0 <= col < ncol and isinstance(desc, bool) \
                and col not in seen:
            seen.add(col)
            out.append({"col": col, "desc": desc})
    return out


def same_filters(a: Sequence[Mapping], b: Sequence[Mapping]) -> bool:
    """Whether two lists of column filters are the same (order and list/tuple aside)."""
    def norm(fs):
        return sorted((f.get("col"), repr([None if v is None else float(v) for v in f["value"]])
                       if isinstance(f.get("value"), (list, tuple)) else repr(f.get("value")))
                      for f in fs if isinstance(f, Mapping))
    try:
        return norm(a) == norm(b)
    except (TypeError, ValueError):
        return False


def selected_repo_ids(tbl: pd.DataFrame, rows: Sequence[int]) -> tuple[str, ...]:
    """Repo ids of the grid's selected rows (positions in ``tbl``; out-of-range ones ignored),
    in table order."""
    n = len(tbl)
    pos = sorted({int(r) for r in rows if isinstance(r, (int, np.integer)) and 0 <= int(r) < n})
    return tuple(tbl["repo_id"].iloc[pos].astype(str))
