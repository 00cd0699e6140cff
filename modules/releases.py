"""Effects of Important Models Release tab: date range and aggregation."""

from __future__ import annotations

from shiny import module, ui

from llmtrends.views import common as vc
from llmtrends.views import releases as view

from . import common


@module.ui
def view_ui():
    return common.view_layout(view, ui.output_ui("controls"))


@module.server
def view_server(input, output, session, snap):
    common.serve_with_controls(view, snap, input, lambda d, s: [
        common.dates_control(d, vc.date_bounds(s.models)), common.aggregation_control(d),
    ], ("dates", "aggregation"))
