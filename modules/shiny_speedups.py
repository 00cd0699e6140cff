"""Same-result shortcuts for py-shiny's per-session introspection (issue 8: session start).

py-shiny (1.8) records, for OpenTelemetry, where every reactive object of a session was
defined -- whether or not telemetry is collected:

* each ``reactive.calc`` / ``effect`` and each output calls
  ``shiny.otel._attributes.extract_source_ref(fn)``, which reads and tokenizes the
  function's source (``inspect.getsourcelines``);
* each ``reactive.Value`` created without a name (the data grids make several) calls
  ``Value._try_infer_name``, which walks ``inspect.stack()``: source context for every frame
  of the call stack, each looked up through ``inspect.getmodule``.

The app creates a few hundred of these per session, the same ones for every session: on
this machine it was 0.5-1 s of the event loop's time at each session's start, before
the first output. The answers depend only on where the code is, so they are computed once
per place and then remembered:

* ``extract_source_ref`` by (the unwrapped function's code object, the function's
  ``__name__``) -- what its answer is made of (file, first line, column, name);
* ``_try_infer_name`` by the call stack itself, as (code object, instruction offset) of
  every frame: the original reads nothing else (file names and source lines of frames).

Both keep the originals' answers (tests/test_shiny_speedups.py compares them) and fall
back to the originals for anything without a code object. Nothing in ``llmtrends/``
imports shiny; this lives with the Shiny wiring and is installed by ``app.py``.
"""

from __future__ import annotations

import inspect
import sys
import threading
from collections.abc import Callable

from shiny.otel import _attributes
from shiny.reactive import _reactives

MAX_ENTRIES = 4096  # distinct functions / call stacks remembered (a few hundred in this app)

_ORIGINAL_SOURCE_REF = _attributes.extract_source_ref
_ORIGINAL_INFER_NAME = _reactives.Value._try_infer_name
# the modules that imported extract_source_ref by name (each holds its own reference)
_SOURCE_REF_USERS = ("shiny.reactive._reactives", "shiny.reactive._extended_task", "shiny.session._session")

_lock = threading.Lock()
_source_refs: dict[tuple, dict] = {}
_names: dict[tuple, str | None] = {}
_MISSING = object()


def _lookup(table: dict, key: tuple) -> object:
    with _lock:
        return table.get(key, _MISSING)


def _keep(table: dict, key: tuple, value: object) -> None:
    with _lock:
        if len(table) >= MAX_ENTRIES:
            table.clear()
        table[key] = value


def source_ref(func: Callable) -> dict:
    """``extract_source_ref(func)``, computed once per (code, name)."""
    try:
        code = inspect.unwrap(func).__code__
    except (AttributeError, ValueError):
        return _ORIGINAL_SOURCE_REF(func)
    key = (code, getattr(func, "__name__", None))
    found = _lookup(_source_refs, key)
    if found is _MISSING:
        found = _ORIGINAL_SOURCE_REF(func)
        _keep(_source_refs, key, found)
    return dict(found)


def infer_name(self) -> str | None:
    """``Value._try_infer_name()``, computed once per call stack.

    The original reads the frames above ``Value.__init__`` (its ``inspect.stack()[2:]``);
    the key is those frames. It is called from here directly, so that its own stack has
    this function where it had itself: at index 1, which it does not read.
    """
    frame = sys._getframe(2)  # [0] this function, [1] Value.__init__, [2] its caller
    stack = []
    while frame is not None:
        stack.append((frame.f_code, frame.f_lasti))
        frame = frame.f_back
    key = tuple(stack)
    found = _lookup(_names, key)
    if found is _MISSING:
        found = _ORIGINAL_INFER_NAME(self)
        _keep(_names, key, found)
    return found


def _use(source_ref_now: Callable, source_ref_next: Callable, infer: Callable) -> None:
    """Point py-shiny (and the modules that imported ``extract_source_ref``) at these."""
    _attributes.extract_source_ref = source_ref_next
    for name in _SOURCE_REF_USERS:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "extract_source_ref", None) is source_ref_now:
            module.extract_source_ref = source_ref_next
    _reactives.Value._try_infer_name = infer


def install() -> None:
    """Use the shortcuts (idempotent)."""
    _use(_ORIGINAL_SOURCE_REF, source_ref, infer_name)


def uninstall() -> None:
    """Back to py-shiny's own code (tests compare both)."""
    _use(source_ref, _ORIGINAL_SOURCE_REF, _ORIGINAL_INFER_NAME)
    with _lock:
        _source_refs.clear()
        _names.clear()
