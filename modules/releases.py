"""Effects of Important Models Release tab: date range and aggregation."""

from __future__ import annotations

from llmtrends.views import releases as view

from . import common


def controls(d, s):
    return [common.dates_control(d, s), common.aggregation_control(d)]


view_ui, view_server = common.controls_tab(view, controls)
