"""Author Activity: the ten most prolific authors of a date range, their models and scores.

Who is an author? The Hub's commit history when the snapshot has it (``commit_authors``,
bots already removed by the pipeline): every commit author of a repository is one of its
authors, so a model with several commit authors counts once for each of them. A repository
without commit data counts under its namespace (the part of ``repo_id`` before the slash).
A board without any commit data (v2) uses namespaces throughout; :func:`author_note` says
which source applies, and the page shows it.

Ranking (:func:`top_authors`): distinct repositories created (on the Hub) in the date range,
most first; ties are broken by the author's name, case-insensitively, then exactly -- so
the list is deterministic and does not depend on row order. The study ranked otherwise: it
summed each author's *all-time* repository count once per model of theirs created in the
range, i.e. all-time repositories x repositories in the range; ``Params.rules = "study"``
(``scripts/figures.py --study-way``) ranks so, and starts weeks on Sunday.

The table has one row per (author, period, type) of the selected authors: the timeline draws
one tile per row (the author's row split between the types of that period), and the score
plot reads the per-(author, period) columns repeated on each row of the period. The score is
the board's average or the benchmark chosen (``Params.score``); on a board without any score
the timeline is drawn all the same and the score plot says why it is blank.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from llmtrends import schema
from . import inputs, look, periods, provenance, selection

ID = "author_activity"
TITLE = "Author Activity"
DESCRIPTION = ("The ten authors with the most repositories created in the date range: when they "
               "published models, by type (top), and the mean score (the board's average, or the benchmark "
               "chosen in the sidebar) of the models each published per period (bottom). Models without a real creation date (missing, or the "
               "Hub's 2022-03-02 placeholder) are left out of the counts.")
FIGURES = ("timeline", "scores")
TOP_N = 10
NO_TYPE = "no type given"
CSV_COLUMNS = {
    "author": "commit author (or repository namespace when the repository has no commit data)",
    "author_rank": "the author's rank in the date range (1 = most repositories)",
    "author_models": "repositories of the author created in the date range (the ranking count)",
    "rank_score": "what the authors are ranked by: author_models, or with the study's rules (figures.py "
                  "--study-way) the author's repositories of all time x author_models",
    "period": "first day of the period (ISO date; weeks start on Monday)",
    "type": f"model type (the leaderboard's label without emoji; '{NO_TYPE}' when the leaderboard has none)",
    "models": "the author's models of this type created in the period",
    "type_average": "mean score of those models (the score chosen: the board's average by default on v1 and v2)",
    "period_models": "all the author's models created in the period (repeated on each type row)",
    "period_average": "mean score of all the author's models of the period (the score plot)",
}


# --------------------------------------------------------------------------- authors


def has_commit_data(snap) -> bool:
    """True when the snapshot carries commit authors (v1 enriched from the Hub's history)."""
    return snap.commit_authors is not None and not snap.commit_authors.empty


@selection.per_board
def author_pairs(snap) -> pd.DataFrame:
    """One row per (repo_id, author): commit authors where known, else the namespace.

    Every repository of ``snap.models`` appears at least once (unless its namespace is
    missing); duplicates are removed so that a repository counts once per author.
    Computed once per board: callers select from it and never change it.
    """
    models = snap.models
    namespace = models["namespace"] if "namespace" in models.columns else models["repo_id"].str.split("/").str[0]
    by_ns = pd.DataFrame({"repo_id": models["repo_id"], "author": namespace})
    if has_commit_data(snap):
        commits = snap.commit_authors
        commits = pd.DataFrame({"repo_id": commits["repo_id"], "author": commits["commit_author"]})
        commits = commits.loc[commits["repo_id"].isin(models["repo_id"])]
        by_ns = by_ns.loc[~by_ns["repo_id"].isin(commits["repo_id"])]
        pairs = pd.concat([commits, by_ns], ignore_index=True)
    else:
        pairs = by_ns
    return pairs.dropna().drop_duplicates(ignore_index=True)


@selection.per_board
def author_note(snap) -> str:
    """The sentence the page shows about which author source is used."""
    if not has_commit_data(snap):
        return ("Authors are repository namespaces (the part of the model id before the slash): "
                "this leaderboard's snapshot has no commit history.")
    with_commits = snap.models["repo_id"].isin(snap.commit_authors["repo_id"])
    missing = int((~with_commits).sum())
    return ("Authors are commit authors from the Hub's commit history (bots excluded); a model with "
            "several commit authors counts for each. "
            f"{missing:,} of {len(snap.models):,} repositories have no commit data and count under their namespace.")


@selection.per_board
def _pair_codes(snap) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per board, author_pairs as integer codes, so a date range is ranked without strings:
    the board rows' repository codes, each pair's repository and author codes, the authors
    (an author code indexes them) and each author's place in name order (case-insensitive,
    then exact)."""
    pairs = author_pairs(snap)
    row_repo, repos = pd.factorize(snap.models["repo_id"])
    pair_repo = repos.get_indexer(pairs["repo_id"])  # every pair's repository is on the board
    pair_author, authors = pd.factorize(pairs["author"])
    names = np.asarray(authors, dtype=object)
    name_order = np.lexsort((names, np.array([a.casefold() for a in names], dtype=object)))
    name_rank = np.empty(len(names), dtype=np.int64)
    name_rank[name_order] = np.arange(len(names))
    return row_repo, pair_repo, pair_author, names, name_rank


def _ranked(snap, start: dt.date, end: dt.date, rules: str = inputs.RULES_OURS) -> pd.DataFrame:
    """Authors of the range with their repository count, in ranking order (ties by name).

    author_pairs has each (repository, author) once, so an author's repositories in the
    range are its pairs whose repository has a model created in the range. With the study's
    rules the ranking count is the author's repositories of all time times those in the range.
    """
    row_repo, pair_repo, pair_author, names, name_rank = _pair_codes(snap)
    # one flag per repository, and a last one, never set, that code -1 (no repository) reads
    in_range = np.zeros(int(row_repo.max(initial=-1)) + 2, dtype=bool)
    in_range[row_repo[selection.range_mask(snap.models, start, end).to_numpy() & (row_repo >= 0)]] = True
    counts = np.bincount(pair_author[in_range[pair_repo]], minlength=len(names))
    score = counts * np.bincount(pair_author, minlength=len(names)) if rules == inputs.RULES_STUDY else counts
    present = np.flatnonzero(counts)
    order = present[np.lexsort((name_rank[present], -score[present]))]
    return pd.DataFrame({"author": pd.Series(names[order], dtype="str"),
                         "author_models": counts[order].astype(int),
                         "rank_score": score[order].astype(int),
                         "author_rank": np.arange(1, len(order) + 1)})


@selection.per_board
def _top_ranked(snap, start: dt.date, end: dt.date, rules: str = inputs.RULES_OURS) -> pd.DataFrame:
    # the first TOP_N rows of _ranked, per board and range (callers only read it)
    return _ranked(snap, start, end, rules).head(TOP_N)


def top_authors(snap, start: dt.date, end: dt.date, n: int = TOP_N, rules: str = inputs.RULES_OURS) -> list[str]:
    """The ``n`` authors with most repositories created in [start, end] (per board and range,
    computed once).

    Count descending, then name ascending (case-insensitive, then exact) for ties; with the
    study's rules the count is all-time repositories x repositories in the range.
    """
    top = _top_ranked(snap, start, end, rules) if n <= TOP_N else _ranked(snap, start, end, rules)
    return top["author"].head(n).tolist()


@selection.per_board
def known_authors(snap) -> frozenset[str]:
    """Every author of the board (per board, once)."""
    return frozenset(author_pairs(snap)["author"])


def author_choices(snap, raw_dates: object) -> list[str]:
    """The checkbox choices for a raw date-range input (empty when the range is invalid)."""
    try:
        bounds = selection.date_bounds(snap.models)
        start, end = inputs.parse_board_range(raw_dates if raw_dates is not None else bounds, bounds)
    except inputs.ViewError:
        return []
    return top_authors(snap, start, end)


# --------------------------------------------------------------------------- params


@dataclass(frozen=True)
class Params:
    start: dt.date
    end: dt.date
    authors: tuple[str, ...]
    aggregation: str = inputs.DEFAULT_AGGREGATION
    rules: str = inputs.RULES_OURS  # the study's rules only from scripts/figures.py --study-way
    score: str | None = selection.SCORE_AVERAGE  # the score plot's (selection.score_choices; None: the board has none)
    board: str = "v1"  # whose scores (for the score plot's message); from the snapshot, never from the browser

    @classmethod
    @selection.per_board
    def defaults(cls, snap) -> "Params":
        start, end = selection.date_bounds(snap.models)
        return cls(start=start, end=end, authors=tuple(top_authors(snap, start, end)), score=selection.default_score(snap),
                   board=snap.board)

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        """Validate raw inputs; authors must be the board's, and are kept only if in the range's top 10.

        An author of the board who is not (or no longer) in the top 10 of the range is a stale
        tick from before the range changed, not a forgery: it is dropped. A name that is no
        author of the board at all is rejected.
        """
        bounds = selection.date_bounds(snap.models)
        start, end = inputs.parse_board_range(inputs.raw_get(raw, "dates", bounds), bounds)
        agg = inputs.parse_aggregation(inputs.raw_get(raw, "aggregation", inputs.DEFAULT_AGGREGATION))
        # the timeline needs no score: on a board without any, the score plot says why it is blank
        score = selection.parse_score(raw.get("score"), snap, required=False)
        top = top_authors(snap, start, end)
        if not top:
            raise inputs.EmptySelection("No models with a known creation date were created in this date range.")
        given = raw.get("authors")
        if given is None:
            return cls(start=start, end=end, authors=tuple(top), aggregation=agg, score=score, board=snap.board)
        known = known_authors(snap)
        given = inputs.parse_choices(given, known, "authors", empty_message="Tick at least one author.")
        authors = tuple(a for a in top if a in given)
        if not authors:
            raise inputs.EmptySelection("None of the ticked authors is among the top 10 of this date range.")
        return cls(start=start, end=end, authors=authors, aggregation=agg, score=score, board=snap.board)


def study_params(snap, params: Params) -> Params:
    """The study's rules for ``scripts/figures.py --study-way``: its ranking (and so its top
    ten) and Sunday weeks."""
    authors = tuple(top_authors(snap, params.start, params.end, rules=inputs.RULES_STUDY))
    return dataclasses.replace(params, rules=inputs.RULES_STUDY, authors=authors)


# --------------------------------------------------------------------------- table


def table(snap, params: Params) -> pd.DataFrame:
    """Models of the selected authors per (author, period, type), with the author's period mean."""
    # the selected authors are among the range's top ones when the parameters come from
    # from_inputs; parameters made otherwise (scripts) may name any author of the range
    ranked = _top_ranked(snap, params.start, params.end, params.rules)
    if not set(params.authors) <= set(ranked["author"]):
        ranked = _ranked(snap, params.start, params.end, params.rules)
    ranked = ranked.loc[ranked["author"].isin(params.authors)]
    if ranked.empty:
        raise inputs.EmptySelection("None of the selected authors has models in this date range.")
    row_repo, pair_repo, pair_author, names, _ = _pair_codes(snap)
    chosen = np.isin(pair_author, np.flatnonzero(np.isin(names, ranked["author"].to_numpy(dtype=object))))
    pairs = author_pairs(snap).loc[chosen]
    # the models of the range that are those authors' repositories (only those are joined)
    theirs = np.isin(row_repo, np.unique(pair_repo[chosen])) & (row_repo >= 0)
    models = selection.rows(snap.models, selection.range_mask(snap.models, params.start, params.end).to_numpy() & theirs,
                    ("repo_id", "type", "created_at", *([params.score] if params.score else [])))
    # the score plot's column: the chosen score, or none at all on a board without scores
    models = models.assign(_score=models[params.score] if params.score in models.columns else np.nan)
    data = pairs.merge(models, on="repo_id", how="inner")
    data["period"] = periods.period_start(data["created_at"], params.aggregation, periods.week_start(params.rules))
    data["type"] = data["type"].fillna(NO_TYPE)
    per_type = (data.groupby(["author", "period", "type"], sort=False)
                .agg(models=("repo_id", "size"), type_average=("_score", "mean")).reset_index())
    per_period = (data.groupby(["author", "period"], sort=False)
                  .agg(period_models=("repo_id", "size"), period_average=("_score", "mean")).reset_index())
    out = (per_type.merge(per_period, on=["author", "period"])
           .merge(ranked[["author", "author_rank", "author_models", "rank_score"]], on="author"))
    type_order = {t: i for i, t in enumerate((*schema.TYPE_LABELS, NO_TYPE))}
    out["_t"] = out["type"].map(type_order)
    out = out.sort_values(["author_rank", "period", "_t"]).drop(columns="_t").reset_index(drop=True)
    out = out[list(CSV_COLUMNS)]
    for col in ("author_rank", "author_models", "rank_score", "models", "period_models"):
        out[col] = out[col].astype(int)
    return provenance.record_shown(out, data["repo_id"].nunique())


# --------------------------------------------------------------------------- figures

_TILE_HEIGHT = 0.8


_PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 30.0}


def _tiles(tbl: pd.DataFrame, authors: list[str], aggregation: str) -> pd.DataFrame:
    """Tile geometry: each author a row (rank 1 on top), split between the period's types;
    a tile spans its period (centred mid-period, not on its first day)."""
    pos = {a: len(authors) - i for i, a in enumerate(authors)}
    data = tbl.copy()
    data["x"] = data["period"] + pd.to_timedelta(_PERIOD_DAYS[aggregation] / 2, unit="D")
    data["k"] = data.groupby(["author", "period"])["type"].transform("size")
    data["j"] = data.groupby(["author", "period"]).cumcount()
    data["h"] = _TILE_HEIGHT / data["k"]
    data["y"] = data["author"].map(pos) - _TILE_HEIGHT / 2 + (data["j"] + 0.5) * data["h"]
    return data


def empty_figure(tbl: pd.DataFrame, params: Params, which: str) -> str | None:
    """Why figure ``which`` has nothing to draw for this table (None when it has): the score
    plot needs a score (the timeline is there whenever the table is)."""
    if which != "scores":
        return None
    if params.score is None:
        return selection.no_scores_message(params.board)
    if tbl["period_average"].isna().all():
        return f"None of these authors' models of this date range has a score ({selection.score_label(params.score)})."
    return None


def figure(tbl: pd.DataFrame, params: Params, which: str = "timeline") -> ggplot:
    """``timeline``: tiles per author and period by type; ``scores``: mean score lines per author."""
    from plotnine import (aes, element_blank, geom_line, geom_point, geom_tile, ggplot, labs,
                          scale_color_manual, scale_fill_manual, scale_y_continuous, theme)
    authors = selection.kept_levels(params.authors, tbl["author"])
    word = periods.aggregation_word(params.aggregation)
    xaxis = look.month_axis(params.start, params.end)
    if which == "timeline":
        types = selection.kept_levels((*schema.TYPE_LABELS, NO_TYPE), tbl["type"])
        data = _tiles(tbl, authors, params.aggregation).assign(
            type=lambda d: pd.Categorical(d["type"], categories=types))
        colors = {**look.TYPE_COLORS, NO_TYPE: "#BDBDBD"}
        return ggplot(data, aes("x", "y", height="h", fill="type")) + [
            geom_tile(width=_PERIOD_DAYS[params.aggregation] * 0.95),
            scale_fill_manual(values=colors, name="Model type", guide=look.legend_guide(types, "Model type")),
            scale_y_continuous(breaks=[len(authors) - i for i in range(len(authors))],
                               labels=authors, limits=(0.5, len(authors) + 0.5), expand=(0, 0)),
            xaxis, look.theme_study(), theme(panel_grid_minor_y=element_blank()),
            labs(x="", y="", title=f"Models of the top authors ({word})")]
    if which == "scores":
        data = tbl.drop_duplicates(["author", "period"]).assign(
            author=lambda d: pd.Categorical(d["author"], categories=authors))
        if (why := empty_figure(tbl, params, which)) is not None:
            return look.message_figure(why, "Score of the top authors' models")
        label = selection.score_label(params.score)
        return ggplot(data, aes("period", "period_average", color="author", group="author")) + [
            geom_line(alpha=0.7), geom_point(size=1.6),
            scale_color_manual(values=look.color_map(authors), name="Author", guide=look.legend_guide(authors, "Author")),
            xaxis, look.theme_study(),
            labs(x="", y=f"Mean {selection.score_label(params.score, lower=True)} ({word})", title=f"{label} of the top authors' models")]
    raise inputs.InvalidInput(f"figure: unknown plot {which!r}")
