"""Shiny modules: one per view, wiring inputs to ``llmtrends.views`` calls (no pandas here).

``MODULES`` maps a view's ID to its module (``view_ui(id)`` / ``view_server(id, snap)``).
"""

from . import type_popularity
from . import base_models
from . import author_activity, score_trends
from . import architecture_popularity, releases
from . import params_score, moe, co2, official
from . import compare, explorer
from . import changes

MODULES = {
    "type_popularity": type_popularity,
    "author_activity": author_activity,
    "score_trends": score_trends,
    "architecture_popularity": architecture_popularity,
    "base_models": base_models,
    "releases": releases,
    "params_score": params_score,
    "moe": moe,
    "co2": co2,
    "official": official,
    "compare": compare,
    "explorer": explorer,
    "changes": changes,
}
