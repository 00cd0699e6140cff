"""A tab's sidebar: the controls the views share (dates, types, score, aggregation), the ids
a tab reads back derived from the controls it draws (:func:`control_ids`), and the wiring of
a tab whose sidebar is one ``controls(d, s)`` (:func:`serve_with_controls`,
:func:`controls_tab`). The layout and the outputs are :mod:`modules.common`'s."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from shiny import module, reactive, render, ui
from shiny.types import SilentCancelOutputException, SilentException

from llmtrends.views import inputs, selection

from .common import controls_ui, drawn_in_page, serve_view, view_layout


def dates_control(d, s, label: str = "Repository created between") -> ui.Tag:
    """The date-range picker ``dates``: the range of ``d`` (the view's defaults, or the range
    carried over from the board shown before: :func:`board_switch_range`), limited to the
    first and last dates of the board ``s``."""
    first, last = selection.date_bounds(s.models)
    return ui.input_date_range("dates", label, start=d.start, end=d.end, min=first, max=last)


def board_switch_range(view, input, before, s, d):
    """``d`` (the view's defaults on the snapshot ``s``) with the date range picked on the
    board shown before (``before``, a snapshot; None: none) where it is valid on this one
    (:func:`llmtrends.views.inputs.carried_range`). Read when the controls are drawn again
    for another board, while the ``dates`` control still holds the range of the one before."""
    if before is None or before.board == s.board or not hasattr(d, "start"):
        return d
    with reactive.isolate():
        try:
            picked = inputs.parse_date_range(input.dates())
        except (inputs.ViewError, SilentException):
            return d
    old = view.Params.defaults(before)
    start, end = inputs.carried_range(picked, (old.start, old.end), selection.date_bounds(s.models), (d.start, d.end))
    return dataclasses.replace(d, start=start, end=end)


def types_control(d) -> ui.Tag:
    """The ``types`` checkboxes: the board's types, all ticked by default."""
    return ui.input_checkbox_group("types", "Model types", choices=list(d.types), selected=list(d.types))


def score_control(d, s, label: str = "Score") -> ui.Tag:
    """The ``score`` select: the scores of the board ``s`` (its average first, then each
    benchmark, with the number of models scored), the view's default ``d.score`` selected.
    On a board without any score it is there but hidden, so that the view reads a value all
    the same: the view says in one line why it has nothing to score."""
    choices = selection.score_choices(s)
    if not choices:
        return ui.div(ui.input_select("score", label, choices={"": "none"}, selected=""), style="display:none")
    return ui.input_select("score", label, choices=choices, selected=d.score)


def shown_with_scores(d, *controls: ui.Tag) -> ui.Tag:
    """``controls`` in one block, hidden (still sending their values) when the view's
    defaults ``d`` have no score: on a board without scores they would change nothing."""
    block = ui.div(*controls)
    if d.score is None:
        block.attrs["style"] = "display:none"
    return block


def aggregation_control(d, label: str = "Aggregation") -> ui.Tag:
    """The ``aggregation`` radio buttons (day / week / month)."""
    return ui.input_radio_buttons("aggregation", label, choices=list(inputs.AGGREGATIONS),
                                  selected=d.aggregation, inline=True)


def control_ids(tags) -> tuple[str, ...]:
    """The ids of the inputs among ``tags`` (in page order, without the module's namespace):
    what a tab reads back. Taken from the tags a tab builds, so that a control's id is
    written once, where the control is made. An input is an ``input``, ``select`` or
    ``textarea`` element, or the container Shiny gives a grouped input (date range,
    checkbox group, radio buttons), with an id."""
    prefix = module.resolve_id("x")[:-1]  # "<namespace>-" inside a module, "" outside
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, ui.Tag):
            tag_id = node.attrs.get("id")
            is_input = node.name in ("input", "select", "textarea") or \
                "shiny-input-container" in str(node.attrs.get("class", "")).split()
            if tag_id and is_input:
                found.append(tag_id[len(prefix):] if tag_id.startswith(prefix) else tag_id)
            walk(node.children)
        elif isinstance(node, (ui.TagList, list, tuple)):
            for child in node:
                walk(child)

    walk(tags)
    return tuple(dict.fromkeys(found))


# Each tab's control ids on a snapshot, by (view ID, board, snapshot version).
_CONTROL_IDS: dict[tuple, tuple[str, ...]] = {}


def tab_control_ids(view, build: Callable, s) -> tuple[str, ...]:
    """The ids of the controls ``build(defaults, s)`` draws for snapshot ``s``
    (:func:`control_ids`): the same for every session, so derived once per snapshot."""
    key = (view.ID, s.board, s.version)
    if key not in _CONTROL_IDS:
        _CONTROL_IDS[key] = control_ids(build(view.Params.defaults(s), s))
    return _CONTROL_IDS[key]


def serve_with_controls(view, snap: Callable, input, build: Callable, extra: Sequence[str] = (),
                        page_board: str | None = None, csv_table: Callable | None = None) -> Callable:
    """Render a view's controls for the current board and serve the view with their values.

    ``build(defaults, snap)`` returns the control tags, drawn from the view's defaults on
    the current board (output ``controls``); the values read back are those of the inputs
    among them (:func:`control_ids`) and ``extra``, ids of controls rendered elsewhere in
    the module (e.g. a picker that follows the date range). ``page_board``: the board whose
    controls the page already holds (:func:`controls_ui`); ``csv_table`` as in
    :func:`serve_view`. Returns serve_view's ``result`` reactive.
    """
    shown_in_page = drawn_in_page(snap, page_board)
    drawn_for = [None]  # the snapshot the controls were last drawn for

    @render.ui
    def controls():
        s = snap()
        before, drawn_for[0] = drawn_for[0], s
        if shown_in_page():
            raise SilentCancelOutputException()
        d = view.Params.defaults(s)
        if "dates" in tab_control_ids(view, build, s):
            d = board_switch_range(view, input, before, s, d)
        return ui.TagList(*build(d, s))

    def raw_inputs() -> dict[str, object]:
        return {name: input[name]() for name in tab_control_ids(view, build, snap()) + tuple(extra)}

    return serve_view(view, snap, raw_inputs, input, page_board, csv_table=csv_table)


def controls_tab(view, build: Callable) -> tuple[Callable, Callable]:
    """``(view_ui, view_server)`` of a tab that is only the view's controls and outputs.

    ``build`` as in :func:`serve_with_controls`. Most tabs are just this; the others (an
    extra picker, a note, a grid) write their own pair around the same calls.
    """

    @module.ui
    def view_ui(initial=None):
        return view_layout(view, controls_ui(view, build, initial), initial=initial)

    @module.server
    def view_server(input, output, session, snap, page_board=None):
        serve_with_controls(view, snap, input, build, page_board=page_board)

    return view_ui, view_server
