"""The views: one module per tab, each a pure ``table`` + ``figure`` pair (see ``common``).

``VIEWS`` lists them in tab order; the app, the figures script and the tests all read it.
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
