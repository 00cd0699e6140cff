"""What Changed: a board between two of its dated snapshots, and over its whole history.

The board's history comes from :mod:`llmtrends.pipeline.history` (the stored snapshots, one per day);
two of its days are compared, the earlier with the later (chosen in either order). Models
are the repositories of each snapshot (one row per repository, ids compared lower-cased, as
the pipeline deduplicates them). The table has one row per fact, in sections (``section``):

* ``summary`` -- the counts (``measure``, ``value``): models at each date, entered, left
  (flagged / removed), on the board at both dates, whose average changed, whether the board
  was re-scored, source columns the board lacked at either date;
* ``entered`` / ``left`` -- the models on the board at only one of the dates, with their
  rank on the board that day; a model that left is ``flagged`` when the later snapshot's
  source lists it as flagged, ``renamed`` when the very same scores (the average and every
  benchmark) entered under one new id, else ``removed`` (``unknown`` when the later
  snapshot did not record its flagged models); a model that entered is ``new`` or ``renamed``;
* ``leader`` -- per size class, the best score at each date and who held it;
* ``mover`` -- the models on the board at both dates whose score changed, by how far they
  moved in rank among those models (the biggest first, at most ``MOVERS``), unless the
  board was **re-scored**: when at least ``RESCORE_SHARE`` of the models on the board at
  both dates (and at least ``RESCORE_MIN_MODELS``) changed their average, the change is the
  board's, not the models': it is said once and no mover is listed;
* ``new_by_type`` -- the new models (entered, renamed ones left out), per type;
* ``board_size`` and ``frontier`` (the figures) -- at every snapshot of the history, the
  models per type, and the best score per size class with the model holding it.

The score is the board's average or the benchmark chosen (``Params.score``; the columns
``average_*`` and ``average`` hold the score chosen): the hub board has no average, its
models being scored on different benchmarks; a board without any score still shows who
entered and left, and says why it has no leaders, movers nor frontier.

The summary's bullet list (:func:`summary_lines`) and the tables shown under the plots
(:func:`section_cells`) are read from this table alone, by the tab and by ``scripts/report.py``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from llmtrends import schema
from llmtrends.pipeline import history, store
from . import inputs, look, periods, provenance, selection

log = logging.getLogger(__name__)

ID = "changes"
TITLE = "What Changed"
DESCRIPTION = ("What changed on the board between two of its snapshots: models that entered and left, the "
               "leader of each size class, the biggest movers in rank and the new models per type (beside and "
               "under the plots). The plots show the whole history: models on the board per type at every "
               "snapshot (top) and the best score (the board's average, or the benchmark chosen) of each size "
               "class (bottom); dashed lines mark the two snapshots compared.")
FIGURES = ("board_size", "frontier")
SECTIONS = ("summary", "entered", "left", "leader", "mover", "new_by_type", "board_size", "frontier")
CSV_COLUMNS = {
    "section": "summary, entered, left, leader, mover, new_by_type, board_size or frontier (see docs/views.md)",
    "date": "the snapshot's day the row describes (ISO): the later of the two compared for the comparison "
            "sections, each snapshot's for board_size and frontier",
    "measure": "summary: what the value counts (models_from, entered, left_flagged, average_changed_share, ...)",
    "value": "summary: the measure's value",
    "repo_id": "the model: entered, left, mover; the leader at the later date (leader); the best model (frontier)",
    "previous_leader": "leader: the leader of the size class at the earlier date",
    "renamed": "entered / left, reason renamed: the model's id at the other date",
    "type": "model type (the leaderboard's label without emoji; 'unknown type' when it has none)",
    "size_class": "Small (<= 9B), Medium (9-40B) or Large (> 40B); empty when parameters are unknown",
    "reason": "entered: new or renamed; left: flagged, renamed, removed or unknown; leader: kept, overtaken, "
              "previous leader left, previous leader now <size class>",
    "average_from": "the score chosen (the board's average by default on v1 and v2) at the earlier date "
                    "(left, leader, mover)",
    "average_to": "the score chosen at the later date (entered, leader, mover)",
    "average_change": "average_to - average_from (leader: the size class's best score; mover: the model's)",
    "rank_from": "rank by the score at the earlier date, 1 = best: on the whole board (left), among the models "
                 "on the board at both dates (mover)",
    "rank_to": "rank at the later date: on the whole board (entered), among the models at both dates (mover)",
    "rank_change": "mover: rank_from - rank_to (positive: moved up)",
    "models": "new_by_type: new models of the type (renamed ones left out); board_size: models of the type "
              "on the board",
    "average": "frontier: the best score of the size class at that snapshot",
}
MOVERS = 10  # movers listed
# A board-wide re-scoring: at least this share of the models on the board at both dates
# changed their average, and at least this many of them.
RESCORE_SHARE = 0.5
RESCORE_MIN_MODELS = 20
# A change of the average smaller than this is float noise, not a re-evaluation.
AVERAGE_TOLERANCE = 1e-6
UNKNOWN_TYPE = "unknown type"
ENTERED_SHOWN = 20  # rows of a long section shown in the tab and the report (the CSV has all)
SINGLE = "{board} has a single snapshot ({day}): there is nothing to compare yet."


@selection.per_board
def history_of(snap) -> history.History:
    """The history of ``snap``'s board, once per process (see :mod:`llmtrends.pipeline.history`)."""
    return history.of_snapshot(snap)


@dataclass(frozen=True)
class Params:
    start: dt.date  # the earlier of the two snapshots compared
    end: dt.date  # the later one
    history: str  # the history's identity (``History.key``): caches keyed by params never mix histories
    score: str | None = selection.SCORE_AVERAGE  # leaders, movers, frontier (selection.score_choices; None: none)
    board: str = "v1"  # whose scores (for the frontier's message); from the snapshot, never from the browser

    @classmethod
    @selection.per_board
    def defaults(cls, snap) -> "Params":
        hist = history_of(snap)
        start, end = default_pair(hist.days)
        return cls(start=start, end=end, history=hist.key, score=selection.default_score(snap), board=snap.board)

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        d = cls.defaults(snap)
        days = {day.isoformat(): day for day in history_of(snap).days}
        first = days[inputs.parse_choice(inputs.raw_get(raw, "first", d.start.isoformat()), tuple(days), "first snapshot")]
        second = days[inputs.parse_choice(inputs.raw_get(raw, "second", d.end.isoformat()), tuple(days), "second snapshot")]
        if len(days) < 2:
            raise inputs.EmptySelection(single_message(snap.board, d.end))
        if first == second:
            raise inputs.EmptySelection("Pick two different snapshots to compare.")
        # who entered and left needs no score: a board without any says why it ranks nobody
        score = selection.parse_score(raw.get("score"), snap, required=False)
        return cls(start=min(first, second), end=max(first, second), history=d.history, score=score,
                   board=snap.board)


def default_pair(days) -> tuple[dt.date, dt.date]:
    """The latest day and the one a week before it: of the earlier days, the one closest to
    seven days before the latest (ties: the earlier one); the same day twice for a history
    of one day."""
    days = sorted(days)
    end = days[-1]
    if len(days) < 2:
        return end, end
    week_before = end - dt.timedelta(days=7)
    return min(days[:-1], key=lambda d: (abs((d - week_before).days), d)), end


def date_choices(snap) -> dict[str, str]:
    """The snapshots a control offers, oldest first: ISO day -> 'day · N models'."""
    hist = history_of(snap)
    return {e.day.isoformat(): e.day.isoformat() + (f" · {e.models_count:,} models" if e.models_count else "")
            for e in hist.entries}


def single_message(board: str, day: dt.date) -> str:
    """What the tab and the reports say of a board whose history is a single snapshot."""
    return SINGLE.format(board=selection.board_subject(board), day=day)


# --------------------------------------------------------------------------- the table


def _models(hist: history.History, day: dt.date) -> pd.DataFrame:
    try:
        return hist.models(day)
    except store.SnapshotError as exc:
        log.warning("%s history: %s", hist.board, exc)  # the path, for whoever runs the app
        raise inputs.ViewError(f"The {hist.board} snapshot of {day} could not be read (the error was logged).") from None


def _scores(models: pd.DataFrame, score: str | None) -> pd.Series:
    """Each model's score (NaN for all on a board without the column or without any score)."""
    if score is None or score not in models.columns:
        return pd.Series(np.nan, index=models.index, dtype=float)
    return models[score].astype(float)


def _board_ranks(models: pd.DataFrame, score: str | None = selection.SCORE_AVERAGE) -> pd.Series:
    """Rank by the score on the board, 1 = best (ties share the best rank; no score: no rank)."""
    return _scores(models, score).rank(ascending=False, method="min")


def _typed(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), UNKNOWN_TYPE)


def _type_levels(types) -> list[str]:
    seen = set(types)
    return [t for t in schema.TYPE_LABELS if t in seen] + ([UNKNOWN_TYPE] if UNKNOWN_TYPE in seen else [])


def _rows(section: str, frame: pd.DataFrame, **values) -> pd.DataFrame:
    """``frame`` as rows of ``section``, with ``values`` as constant columns."""
    out = frame.assign(**values)
    out.insert(0, "section", section)
    return out


def _best(models: pd.DataFrame, score: str | None = selection.SCORE_AVERAGE) -> pd.DataFrame:
    """The best model of each size class on ``score`` (ties: the smallest id): size_class,
    repo_id, key, average (the score)."""
    models = models.assign(average=_scores(models, score))
    scored = models.loc[models["average"].notna() & models["size_class"].isin(schema.SIZE_CLASSES),
                        ["size_class", "repo_id", "key", "average"]]
    scored = scored.sort_values(["average", "key"], ascending=[False, True], kind="mergesort")
    return scored.drop_duplicates("size_class").set_index("size_class")


@selection.per_board
def _timeline(snap, score: str | None = selection.SCORE_AVERAGE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(board_size, frontier) rows at every snapshot of the history (once per board and score)."""
    hist = history_of(snap)
    sizes, fronts = [], []
    for day in hist.days:
        models = _models(hist, day)
        counts = _typed(models["type"]).value_counts()
        sizes.append(pd.DataFrame({"date": pd.Timestamp(day), "type": counts.index, "models": counts.to_numpy()}))
        best = _best(models, score)
        fronts.append(pd.DataFrame({"date": pd.Timestamp(day), "size_class": best.index,
                                    "repo_id": best["repo_id"].to_numpy(), "average": best["average"].to_numpy()}))
    size = pd.concat(sizes, ignore_index=True)
    levels = _type_levels(size["type"])
    size = size.assign(_t=selection.level_codes(size["type"], levels)).sort_values(["date", "_t"], kind="mergesort")
    front = pd.concat(fronts, ignore_index=True)
    front = front.assign(_s=selection.level_codes(front["size_class"], schema.SIZE_CLASSES))
    front = front.sort_values(["date", "_s"], kind="mergesort")
    return (_rows("board_size", size.drop(columns="_t").reset_index(drop=True)),
            _rows("frontier", front.drop(columns="_s").reset_index(drop=True)))


def _renames(left: pd.DataFrame, entered: pd.DataFrame, board: str) -> dict[str, str]:
    """Old id -> new id of the models that left and entered with the very same scores (the
    average and every benchmark of the board, all present): one evaluation listed under a
    new id. Only one-to-one matches count; a board without benchmark scores has none."""
    cols = [col for col in history.score_columns(board) if col in left.columns and col in entered.columns]
    if len(cols) < 2:
        return {}
    old = left.dropna(subset=cols).drop_duplicates(cols, keep=False)
    new = entered.dropna(subset=cols).drop_duplicates(cols, keep=False)
    pairs = old[["repo_id", *cols]].merge(new[["repo_id", *cols]], on=cols, suffixes=("_old", "_new"))
    return dict(zip(pairs["repo_id_old"], pairs["repo_id_new"]))


def _lead(before: str | None, after: str | None, size: str, size_after: Mapping[str, object]) -> str | None:
    """Why a size class's leader is who it is: kept, overtaken, or the previous leader left
    the board or the class (its parameter count changed)."""
    if before is None or after is None:
        return None
    if before == after:
        return "kept"
    if before not in size_after:
        return "previous leader left"
    now = size_after[before]
    if now != size:
        return f"previous leader now {now if isinstance(now, str) else 'of unknown size'}"
    return "overtaken"


def table(snap, params: Params) -> pd.DataFrame:
    """Every section for the two days of ``params`` (see the module docstring)."""
    hist = history_of(snap)
    if len(hist.days) < 2:
        raise inputs.EmptySelection(single_message(snap.board, hist.days[-1]))
    if params.history != hist.key or params.start not in hist.days or params.end not in hist.days:
        raise inputs.InvalidInput("the snapshots asked for are not in this board's history")
    if params.start >= params.end:
        raise inputs.EmptySelection("Pick two different snapshots to compare.")
    a, b = _models(hist, params.start), _models(hist, params.end)
    # the score chosen, under the name the sections give it
    a = a.assign(average=_scores(a, params.score), rank=_board_ranks(a, params.score))
    b = b.assign(average=_scores(b, params.score), rank=_board_ranks(b, params.score))
    in_b, in_a = a["key"].isin(b["key"]), b["key"].isin(a["key"])
    day = pd.Timestamp(params.end)

    entered = b.loc[~in_a].sort_values(["rank", "key"], kind="mergesort", na_position="last")
    left = a.loc[~in_b].sort_values(["rank", "key"], kind="mergesort", na_position="last")
    flagged = hist.entry(params.end).flagged
    is_flagged = left["key"].isin(flagged or ())
    renamed_to = _renames(left.loc[~is_flagged], entered, hist.board)
    renamed_from = {new: old for old, new in renamed_to.items()}
    reason = np.where(is_flagged, "flagged", np.where(left["repo_id"].isin(renamed_to), "renamed",
                                                      "unknown" if flagged is None else "removed"))
    left_rows = _rows("left", pd.DataFrame({
        "repo_id": left["repo_id"], "type": _typed(left["type"]), "size_class": left["size_class"],
        "reason": reason, "renamed": left["repo_id"].map(renamed_to),
        "average_from": left["average"], "rank_from": left["rank"]}), date=day)
    is_renamed = entered["repo_id"].isin(renamed_from)
    entered_rows = _rows("entered", pd.DataFrame({
        "repo_id": entered["repo_id"], "type": _typed(entered["type"]), "size_class": entered["size_class"],
        "reason": np.where(is_renamed, "renamed", "new"), "renamed": entered["repo_id"].map(renamed_from),
        "average_to": entered["average"], "rank_to": entered["rank"]}), date=day)

    both = b.loc[in_a, ["key", "repo_id", "type", "size_class", "average"]].merge(
        a.loc[in_b, ["key", "average"]], on="key", suffixes=("_to", "_from"))
    delta = both["average_to"] - both["average_from"]
    changed = (delta.abs() > AVERAGE_TOLERANCE) | (both["average_to"].isna() != both["average_from"].isna())
    n_common, n_changed = len(both), int(changed.sum())
    share = n_changed / n_common if n_common else 0.0
    rescored = n_common >= RESCORE_MIN_MODELS and n_changed >= RESCORE_MIN_MODELS and share >= RESCORE_SHARE
    movers = both.assign(
        average_change=delta,
        rank_from=both["average_from"].rank(ascending=False, method="min"),
        rank_to=both["average_to"].rank(ascending=False, method="min"))
    movers = movers.loc[changed & movers["rank_from"].notna() & movers["rank_to"].notna()]
    movers = movers.assign(rank_change=movers["rank_from"] - movers["rank_to"])
    movers = movers.assign(_r=-movers["rank_change"].abs(), _a=-movers["average_change"].abs())
    movers = movers.sort_values(["_r", "_a", "key"], kind="mergesort").head(0 if rescored else MOVERS)
    mover_rows = _rows("mover", movers.drop(columns=["key", "_r", "_a"]).assign(type=_typed(movers["type"])),
                       date=day)

    best_a, best_b = _best(a), _best(b)
    size_b = dict(zip(b["key"], b["size_class"]))
    leader_rows = _rows("leader", pd.DataFrame([{
        "size_class": size,
        "repo_id": best_b["repo_id"].get(size), "previous_leader": best_a["repo_id"].get(size),
        "reason": _lead(best_a["key"].get(size), best_b["key"].get(size), size, size_b),
        "average_from": best_a["average"].get(size, np.nan), "average_to": best_b["average"].get(size, np.nan),
    } for size in schema.SIZE_CLASSES]), date=day)
    leader_rows["average_change"] = leader_rows["average_to"] - leader_rows["average_from"]

    sizes, fronts = _timeline(snap, params.score)
    new_types = _typed(entered.loc[~is_renamed, "type"]).value_counts()
    levels = _type_levels(list(sizes["type"]) + list(new_types.index))
    new_rows = _rows("new_by_type", pd.DataFrame({"type": levels, "models": [int(new_types.get(t, 0)) for t in levels]}),
                     date=day)

    missing_a, missing_b = hist.entry(params.start).missing_columns, hist.entry(params.end).missing_columns
    measures = {
        "from_date": params.start.isoformat(), "to_date": params.end.isoformat(),
        "snapshots": len(hist.days), "models_from": len(a), "models_to": len(b),
        "entered": len(entered), "entered_new": int((~is_renamed).sum()), "left": len(left),
        **{f"left_{why}": int((reason == why).sum()) for why in ("flagged", "renamed", "removed", "unknown")},
        "score": params.score or "", "common": n_common, "average_changed": n_changed,
        "average_changed_share": round(share, 4), "rescored": "yes" if rescored else "no",
        "columns_missing_from": "; ".join(missing_a), "columns_missing_to": "; ".join(missing_b),
    }
    summary_rows = _rows("summary", pd.DataFrame({"measure": list(measures),
                                                  "value": [str(v) for v in measures.values()]}), date=day)
    out = pd.concat([summary_rows, entered_rows, left_rows, leader_rows, mover_rows, new_rows, sizes, fronts],
                    ignore_index=True)
    out = out.reindex(columns=list(CSV_COLUMNS))
    for col in ("rank_from", "rank_to", "rank_change", "models"):
        out[col] = out[col].astype("Int64")
    out["date"] = pd.to_datetime(out["date"])
    return provenance.record_shown(out, len(pd.Index(a["key"]).union(pd.Index(b["key"]))))


def section(tbl: pd.DataFrame, name: str) -> pd.DataFrame:
    """One section of the table with the columns it uses (what ``scripts/report.py`` writes)."""
    rows = tbl.loc[tbl["section"] == name].reset_index(drop=True)
    return rows[SECTION_COLUMNS[name]]


SECTION_COLUMNS = {
    "summary": ["measure", "value"],
    "entered": ["repo_id", "type", "size_class", "reason", "renamed", "average_to", "rank_to"],
    "left": ["repo_id", "type", "size_class", "reason", "renamed", "average_from", "rank_from"],
    "leader": ["size_class", "previous_leader", "average_from", "repo_id", "average_to", "average_change", "reason"],
    "mover": ["repo_id", "type", "size_class", "rank_from", "rank_to", "rank_change", "average_from",
              "average_to", "average_change"],
    "new_by_type": ["type", "models"],
    "board_size": ["date", "type", "models"],
    "frontier": ["date", "size_class", "repo_id", "average"],
}


# --------------------------------------------------------------------------- words


def measures(tbl: pd.DataFrame) -> dict[str, str]:
    """The summary section as ``measure -> value``."""
    rows = tbl.loc[tbl["section"] == "summary"]
    return dict(zip(rows["measure"], rows["value"]))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _score(v: float) -> str:
    return "–" if v is None or pd.isna(v) else f"{v:.2f}"


def score_word(tbl: pd.DataFrame) -> str:
    """How the sentences name the score compared: 'average', 'MMLU-Pro score' ('' on a
    board without scores)."""
    score = measures(tbl).get("score", selection.SCORE_AVERAGE)
    if not score:
        return ""
    return "average" if score == selection.SCORE_AVERAGE else selection.score_label(score)


def summary_lines(tbl: pd.DataFrame) -> list[str]:
    """What changed, in sentences (the tab's bullet list and the report's)."""
    m = measures(tbl)
    word = score_word(tbl)
    start, end = m["from_date"], m["to_date"]
    n_from, n_to = int(m["models_from"]), int(m["models_to"])
    lines = [f"From {start} to {end} the board went from {n_from:,} to {_plural(n_to, 'model')} "
             f"({n_to - n_from:+,})."]
    new = section(tbl, "new_by_type")
    new = new.loc[new["models"] > 0].sort_values("models", ascending=False, kind="mergesort")
    entered = section(tbl, "entered")
    fresh = entered.loc[entered["reason"] == "new"]
    if entered.empty:
        lines.append("No model entered.")
    else:
        kinds = ", ".join(f"{int(n):,} {t}" for t, n in zip(new["type"], new["models"]))
        renamed = len(entered) - len(fresh)
        text = f"{_plural(len(entered), 'model')} entered"
        if renamed:
            text += f": {len(fresh):,} new ({kinds}) and {renamed:,} renamed (the same scores under a new id)"
        else:
            text += f" ({kinds})"
        if len(fresh):
            top = fresh.iloc[0]
            if pd.notna(top["rank_to"]):
                text += (f"; the best new one is {top['repo_id']} ({_score(top['average_to'])}, "
                         f"#{int(top['rank_to']):,} on the board)")
        lines.append(text + ".")
    n_left = int(m["left"])
    if n_left == 0:
        lines.append("No model left the board.")
    else:
        words = {"flagged": "flagged", "renamed": "renamed", "removed": "removed from the board",
                 "unknown": "for a reason the snapshots do not record"}
        parts = [f"{int(m['left_' + why]):,} {w}" for why, w in words.items() if int(m["left_" + why])]
        lines.append(f"{_plural(n_left, 'model')} left: {', '.join(parts)}.")
    if not word:  # a board without scores: nobody leads, nobody moves
        lines.append("No model of the board has a score, so there are no leaders and no movers.")
        return lines + _column_lines(m, start)
    for row in section(tbl, "leader").itertuples(index=False):
        label = look.SIZE_LABELS[row.size_class]
        if row.repo_id is None or pd.isna(row.repo_id):
            lines.append(f"{label}: no scored model at {end}.")
        elif row.previous_leader is None or pd.isna(row.previous_leader):
            lines.append(f"{label}: {row.repo_id} leads with {_score(row.average_to)} (no scored model at {start}).")
        elif str(row.previous_leader).lower() == str(row.repo_id).lower():
            lines.append(f"{label}: {row.repo_id} kept the lead ({_score(row.average_from)} → "
                         f"{_score(row.average_to)}, {row.average_change:+.2f}).")
        else:
            why = {"previous leader left": f"; {row.previous_leader} left the board"}.get(row.reason, "")
            if str(row.reason).startswith("previous leader now "):
                why = f"; {row.previous_leader} is now {str(row.reason)[len('previous leader now '):]}"
            lines.append(f"{label}: {row.repo_id} took the lead from {row.previous_leader} "
                         f"({_score(row.average_from)} → {_score(row.average_to)}, {row.average_change:+.2f}){why}.")
    changed, common = int(m["average_changed"]), int(m["common"])
    if m["rescored"] == "yes":
        lines.append(f"The board was re-scored: the {word}s of {changed:,} of the {common:,} models on the board at "
                     f"both dates changed ({float(m['average_changed_share']):.0%}), so no individual movers are "
                     f"listed.")
    elif changed == 0:
        lines.append(f"No {word} changed among the {common:,} models on the board at both dates.")
    else:
        movers = section(tbl, "mover")
        top = movers.iloc[0] if len(movers) else None
        text = (f"The {word} of 1 model changed (a re-evaluation)" if changed == 1
                else f"The {word}s of {changed:,} models changed (re-evaluations)")
        if top is not None:
            text += (f"; the biggest move: {top['repo_id']}, #{int(top['rank_from']):,} → #{int(top['rank_to']):,} "
                     f"among the models on the board at both dates ({top['average_change']:+.2f})")
        lines.append(text + ".")
    return lines + _column_lines(m, start)


def _column_lines(m: dict[str, str], start: str) -> list[str]:
    """The sentence on source columns missing at either date (none when there are none)."""
    gained = [col for col in m["columns_missing_from"].split("; ") if col and col not in m["columns_missing_to"]]
    if gained:
        return [f"The source gained the column(s) {', '.join(gained)}: at {start} they did not exist yet, "
                "so their values there are unknown (not false)."]
    if m["columns_missing_to"]:
        return [f"Both snapshots predate the column(s) {m['columns_missing_to'].replace('; ', ', ')}: "
                "their values are unknown there."]
    return []


SECTION_TITLES = {
    "leader": "Leader of each size class",
    "mover": "Biggest movers in rank (among the models on the board at both dates)",
    "new_by_type": "New models per type",
    "left": "Models that left",
    "entered": "Models that entered (by rank on the board)",
}
_HEADERS = {"repo_id": "Model", "type": "Type", "size_class": "Size class", "reason": "Reason",
            "average_from": "Average then", "average_to": "Average now", "average_change": "Change",
            "rank_from": "Rank then", "rank_to": "Rank now", "rank_change": "Moved", "models": "Models",
            "previous_leader": "Leader then"}


def _cell(col: str, v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    if col == "average_change":
        return f"{v:+.2f}"
    if col == "rank_change":
        return f"{int(v):+d}"
    if isinstance(v, (float, np.floating)):
        return f"{v:.2f}"
    if col == "size_class":
        return look.SIZE_LABELS.get(v, str(v))
    return f"{v:,}" if isinstance(v, (int, np.integer)) else str(v)


def section_cells(tbl: pd.DataFrame, name: str, limit: int | None = ENTERED_SHOWN
                  ) -> tuple[list[str], list[list[str]], str]:
    """A section as text for a table: ``(header, rows, note)``; at most ``limit`` rows, the
    note saying how many more the CSV holds (empty when none), or why the section is empty."""
    rows = section(tbl, name)
    if name == "new_by_type":  # the types with new models (the CSV has every type)
        rows = rows.loc[rows["models"] > 0]
    if name in ("entered", "left"):  # "renamed to X" / "renamed from X" in one cell
        word = " to " if name == "left" else " from "
        rows = rows.assign(reason=[r if pd.isna(o) else r + word + str(o) for r, o in zip(rows["reason"], rows["renamed"])])
        rows = rows.drop(columns="renamed")
    word = score_word(tbl)
    scored = (word[:1].upper() + word[1:]) if word not in ("", "average") else "Average"
    header = [_HEADERS[col].replace("Average", scored) for col in rows.columns]
    shown = rows if limit is None else rows.head(limit)
    cells = [[_cell(col, v) for col, v in zip(rows.columns, r)] for r in shown.itertuples(index=False)]
    note = ""
    if len(rows) > len(shown):
        note = f"… and {len(rows) - len(shown):,} more in the table's CSV."
    elif rows.empty:
        note = ("Not listed: the board was re-scored." if name == "mover" and measures(tbl)["rescored"] == "yes"
                else "None.")
    return header, cells, note


# --------------------------------------------------------------------------- figures


@provenance.figure_rows
def board_size_rows(tbl: pd.DataFrame, params: Params) -> pd.DataFrame:
    return provenance.drawn(section(tbl, "board_size"), "")


@provenance.figure_rows
def frontier_rows(tbl: pd.DataFrame, params: Params) -> pd.DataFrame:
    return provenance.drawn(section(tbl, "frontier"), "")


# what a figure worker is sent: the rows each plot draws (provenance.figure_table)
FIGURE_ROWS = {"board_size": board_size_rows, "frontier": frontier_rows}


def _marks(params: Params) -> list:
    """Dashed lines at the two snapshots compared (named in the caption, :func:`_marked`)."""
    from plotnine import aes, geom_vline
    days = pd.DataFrame({"date": pd.to_datetime([params.start, params.end])})
    return [geom_vline(aes(xintercept="date"), data=days, linetype="dashed", color="#555555", size=0.6,
                       inherit_aes=False)]


def _marked(params: Params) -> str:
    return f"Dashed lines: the snapshots compared, {params.start} and {params.end}."


def _half_gap(dates: pd.Series) -> pd.Timedelta:
    """Half a bar's width: 40 % of the shortest gap between snapshots (3 days alone)."""
    days = pd.Series(sorted(dates.unique()))
    gap = days.diff().min() if len(days) > 1 else pd.Timedelta(days=7)
    return gap * 0.4


def empty_figure(tbl: pd.DataFrame, params: Params, which: str) -> str | None:
    """Why figure ``which`` has nothing to draw for this table (None when it has): the
    frontier needs a score."""
    if which == "frontier" and params.score is None:
        return selection.no_scores_message(params.board)
    return None


def figure(tbl: pd.DataFrame, params: Params, which: str = "board_size") -> ggplot:
    """``board_size``: stacked bars of the models per type at every snapshot;
    ``frontier``: the best score of each size class at every snapshot."""
    from plotnine import (aes, geom_line, geom_point, geom_rect, ggplot, labs, scale_color_manual,
                          scale_fill_manual, scale_y_continuous)
    if which == "board_size":
        data = board_size_rows(tbl, params)
        levels = _type_levels(data["type"])
        bars = periods.stacked(data.assign(type=pd.Categorical(data["type"], categories=levels)),
                         "date", "models", "type", levels)
        half = _half_gap(data["date"])
        bars = bars.assign(xmin=bars["date"] - half, xmax=bars["date"] + half)
        colors = {**look.TYPE_COLORS, UNKNOWN_TYPE: "#BBBBBB"}
        return ggplot(mapping=aes(fill="type")) + [
            geom_rect(aes(xmin="xmin", xmax="xmax", ymin="ymin", ymax="ymax"), data=bars),
            *_marks(params),
            scale_fill_manual(values=colors, name="Model type", breaks=levels),
            scale_y_continuous(expand=(0.02, 0, 0.05, 0)),
            look.month_axis(data["date"].min().date(), data["date"].max().date()),
            labs(x="", y="Models on the board", title="Models on the board at each snapshot, by type",
                 caption=_marked(params)),
            look.theme_study()]
    if which == "frontier":
        if (why := empty_figure(tbl, params, which)) is not None:
            return look.message_figure(why, "Best score of each size class at each snapshot")
        data = frontier_rows(tbl, params)
        data = data.assign(size_class=pd.Categorical(data["size_class"], categories=list(schema.SIZE_CLASSES)))
        caption = _marked(params)
        if data.empty:  # no snapshot has a model with a known size and score (possible on a new board)
            caption = "No snapshot has a model with a known size class and score. " + caption
            first, last = params.start, params.end
        else:
            first, last = data["date"].min().date(), data["date"].max().date()
        return ggplot(data, aes("date", "average", color="size_class")) + [
            geom_line(size=1.0), geom_point(size=2.0),
            *_marks(params),
            scale_color_manual(values=look.SIZE_COLORS, labels=lambda ks: [look.SIZE_LABELS[k] for k in ks],
                               name="Size class", drop=False),
            scale_y_continuous(expand=(0.05, 0, 0.05, 0)),
            look.month_axis(first, last),
            labs(x="", y=f"Best {selection.score_label(params.score, lower=True)}",
                 title=f"Best {selection.score_label(params.score, lower=True)} of each size class at each snapshot",
                 caption=caption),
            look.theme_study()]
    raise inputs.InvalidInput(f"figure: unknown plot {which!r}")
