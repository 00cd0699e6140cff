"""The views: one module per tab, and the registry ``VIEWS`` (tab order) with ``by_id``.

The app, the figures script, the build's default figures and the tests all read ``VIEWS``.
A view is a module of this package with:

* ``ID`` (the Shiny module id and the figure-file stem) and ``TITLE`` (the study's tab title);
* ``Params`` -- a frozen dataclass of the view's parameters with ``defaults(snap)`` and
  ``from_inputs(raw, snap)``; the latter validates raw (possibly forged) input values and
  raises :class:`~llmtrends.views.inputs.InvalidInput` or
  :class:`~llmtrends.views.inputs.EmptySelection`;
* ``table(snap, params) -> DataFrame`` -- the plotted table (``EmptySelection`` when there
  is nothing to plot); ``table.attrs["models_shown"]`` = how many models it covers;
* ``FIGURES`` -- names of the view's plots, and ``figure(table, params, which) -> ggplot``;
  optionally ``empty_figure(table, params, which) -> str | None``, why one figure has
  nothing to draw for a table the others can draw (shown in that figure's place);
* ``CSV_COLUMNS`` -- the documented columns of the table's CSV export.

What views share is split by concern: ``inputs`` (parsing raw values, the rules),
``selection`` (the board, its scores, what a view selects; the shared ``Params``),
``periods`` (periods and stacking), ``look`` (the study's look) and ``provenance`` (what a
figure draws, the line under it, the CSV).
"""

from __future__ import annotations

from . import type_popularity
from . import base_models
from . import author_activity, score_trends
from . import architecture_popularity, releases
from . import params_score, moe, co2, official
from . import compare, explorer
from . import changes

VIEWS = [
    type_popularity,
    author_activity,
    score_trends,
    architecture_popularity,
    base_models,
    releases,
    params_score,
    moe,
    co2,
    official,
    compare,
    explorer,
    changes,
]


def by_id(view_id: str):
    """The view module with this ID (KeyError if none)."""
    for view in VIEWS:
        if view.ID == view_id:
            return view
    raise KeyError(view_id)
