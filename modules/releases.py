"""Effects of Important Models Release tab: date range and aggregation."""

from __future__ import annotations

from llmtrends.views import releases as view

from . import common

view_ui, view_server = common.controls_tab(view, lambda d, s: [
    common.dates_control(d, s), common.aggregation_control(d),
], ("dates", "aggregation"))
