"""Parameters and Score tab: date range, types, leave out models under 1B."""

from __future__ import annotations

from shiny import module, ui

from llmtrends.views import params_score as view

from . import common


@module.ui
def view_ui():
    return common.view_layout(view, ui.output_ui("controls"))


@module.server
def view_server(input, output, session, snap):
    common.serve_with_controls(view, snap, input, lambda d, s: [
        common.dates_control(d), common.types_control(d),
        ui.input_checkbox("exclude_small", "Leave out models under 1B parameters", value=d.exclude_small),
    ], ("dates", "types", "exclude_small"))
