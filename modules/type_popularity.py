"""Model Type Popularity tab: date range, types, aggregation."""

from __future__ import annotations

from llmtrends.views import type_popularity as view

from . import common


def controls(d, s):
    return [common.dates_control(d, s), common.types_control(d), common.aggregation_control(d)]


view_ui, view_server = common.controls_tab(view, controls)
