"""Official vs Community tab: model types."""

from __future__ import annotations

from llmtrends.views import official as view

from . import common

view_ui, view_server = common.controls_tab(view, lambda d, s: [common.types_control(d)], ("types",))
