"""Official vs Community: does the community only publish small models?

For official providers and for the community, how many models of each size class are on
the board, and how many Small and Medium models there are for each Large one (the ratio to
the Large class). A community far more skewed to small models than the official providers
would answer "yes". Who is official comes from :mod:`llmtrends.pipeline.providers`: the board's own
flag (v2) or, where it is missing (all of v1 and of the hub board), the curated namespace list.

The table has one row per (provider group, size class):

* ``counts`` -- models per size class, official providers next to the community;
* ``ratios`` -- each size class's count divided by the Large count of the same group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # plotnine is imported where a figure is drawn, not with the tables
    from plotnine import ggplot

from llmtrends import schema
from llmtrends.pipeline import providers
from . import inputs, look, provenance, selection

ID = "official"
TITLE = "Official vs Community"
DESCRIPTION = ("Models per size class published by official providers and by the community (top), and "
               "each size class's count divided by the Large count of the same group (bottom): how many "
               "Small and Medium models there are for every Large one. Official means the leaderboard's "
               "own flag (v2); where a board has no flag (v1, the hub board) the namespace is looked up in a "
               "curated list of official providers. Models whose size is unknown are left out.")
FIGURES = ("counts", "ratios")
CSV_COLUMNS = {
    "provider": "Official provider or Community",
    "size_class": "Small (<= 9B), Medium (9-40B) or Large (> 40B)",
    "models": "models of the group in the size class",
    "provider_models": "models of the group over all size classes",
    "share_of_provider": "models / provider_models",
    "large_models": "Large models of the group",
    "ratio_to_large": "models / large_models (empty when the group has no Large model)",
    "official_source": "where the official status came from: board, provider list, or both",
}


@dataclass(frozen=True)
class Params:
    types: tuple[str, ...]

    @classmethod
    @selection.per_board
    def defaults(cls, snap) -> "Params":
        return cls(types=tuple(selection.present_types(snap.models)))

    @classmethod
    def from_inputs(cls, raw: Mapping[str, object], snap) -> "Params":
        d = cls.defaults(snap)
        types = inputs.parse_types(inputs.raw_get(raw, "types", d.types), d.types)
        return cls(types=types)


def table(snap, params: Params) -> pd.DataFrame:
    """Models per (provider group, size class) with shares and ratios to the Large class."""
    models = snap.models
    models = selection.rows(models, models["type"].isin(params.types) & models["size_class"].isin(schema.SIZE_CLASSES),
                    ("size_class", *providers.OFFICIAL_COLUMNS))
    if models.empty:
        raise inputs.EmptySelection(selection.no_sized_message(snap) if not selection.has_sizes(snap.models)
                               else "No models of the selected types have a known size.")
    who = providers.resolve_official(models)
    frame = pd.DataFrame({"provider": providers.provider_group(who["official"]),
                          "size_class": models["size_class"].astype(str),
                          "source": who["official_source"]})
    grid = pd.MultiIndex.from_product([list(providers.PROVIDER_GROUPS), list(schema.SIZE_CLASSES)],
                                      names=["provider", "size_class"])
    counts = frame.groupby(["provider", "size_class"]).size().reindex(grid, fill_value=0)
    sources = (frame.drop_duplicates().groupby(["provider", "size_class"])["source"]
               .agg(lambda s: " + ".join(sorted(s))).reindex(grid, fill_value=""))
    out = counts.rename("models").reset_index()
    out["models"] = out["models"].astype(int)
    out["provider_models"] = out.groupby("provider")["models"].transform("sum").astype(int)
    out["share_of_provider"] = (out["models"] / out["provider_models"].where(out["provider_models"] > 0)).fillna(0.0)
    large = out.loc[out["size_class"] == schema.SIZE_LARGE].set_index("provider")["models"]
    out["large_models"] = out["provider"].map(large).astype(int)
    out["ratio_to_large"] = out["models"] / out["large_models"].where(out["large_models"] > 0)
    out["official_source"] = sources.to_numpy()
    return provenance.record_shown(out, len(frame))


def figure(tbl: pd.DataFrame, params: Params, which: str = "counts") -> ggplot:
    """``counts``: models per size class and group; ``ratios``: counts over the Large count."""
    from plotnine import (aes, element_text, geom_col, geom_hline, geom_text, ggplot, labs, position_dodge,
                          scale_fill_manual, scale_x_discrete, scale_y_continuous, theme)
    groups = list(providers.PROVIDER_GROUPS)
    totals = tbl.drop_duplicates("provider").set_index("provider")["provider_models"]
    legend = {g: f"{g} ({int(totals.get(g, 0)):,} models)" for g in groups}
    data = tbl.assign(provider=pd.Categorical(tbl["provider"], categories=groups),
                      size_class=pd.Categorical(tbl["size_class"], categories=list(schema.SIZE_CLASSES)))
    dodge = position_dodge(width=0.8)
    fill = scale_fill_manual(values=look.PROVIDER_COLORS, name="Provider", labels=lambda ks: [legend[k] for k in ks],
                             drop=False)
    styling = [look.theme_study(), theme(axis_text_x=element_text(rotation=0, ha="center"))]
    sizes = scale_x_discrete(labels=lambda xs: [look.SIZE_LABELS[x] for x in xs], drop=False)
    if which == "counts":
        top = max(float(data["models"].max()), 1.0)
        data["label"] = [f"{m:,} ({s:.0%})" for m, s in zip(data["models"], data["share_of_provider"])]
        data["label_y"] = data["models"] + top * 0.015
        # one ggplot plus a list: plotnine copies the whole plot on every "+", once for a list
        return ggplot(data, aes("size_class", "models", fill="provider")) + [
            geom_col(position=dodge, width=0.75),
            geom_text(aes(y="label_y", label="label"), position=dodge, va="bottom", size=9),
            fill, sizes, scale_y_continuous(expand=(0, 0, 0.08, 0)),
            labs(x="", y="Models", title="Models per size class (share of the group's models)"),
            *styling]
    if which == "ratios":
        ratio = data["ratio_to_large"]
        top = max(float(ratio.max()) if ratio.notna().any() else 1.0, 1.0)
        data["label"] = [f"{r:.1f}×" if pd.notna(r) else "no Large models" for r in ratio]
        data["value"] = ratio.fillna(0.0)
        data["label_y"] = data["value"] + top * 0.015
        return ggplot(data, aes("size_class", "value", fill="provider")) + [
            geom_col(position=dodge, width=0.75),
            geom_hline(yintercept=1.0, linetype="dashed", color="#555555"),
            geom_text(aes(y="label_y", label="label"), position=dodge, va="bottom", size=9),
            fill, sizes, scale_y_continuous(expand=(0, 0, 0.08, 0)),
            labs(x="", y="Models per Large model of the same group",
                 title="Size classes relative to the Large class"),
            *styling]
    raise inputs.InvalidInput(f"figure: unknown plot {which!r}")
