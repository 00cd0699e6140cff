"""Same-result shortcuts for py-shiny's per-session introspection (issue 8: session start).

py-shiny (1.8) records, for OpenTelemetry, where every reactive object of a session was
defined -- whether or not telemetry is collected:

* each ``reactive.calc`` / ``effect`` and each output calls
  ``shiny.otel._attributes.extract_source_ref(fn)``, which reads and tokenizes the
  function's source (``inspect.getsourcelines``);
* each ``reactive.Value`` created without a name (the data grids make several) calls
  ``Value._try_infer_name``, which walks ``inspect.stack()``: source context for every frame
  of the call stack, each looked up through ``inspect.getmodule``.

The app creates a few hundred of these per session, the same ones for every session: much
of the event loop's time at each session's start, before the first output
(benchmarks/README.md). The answers depend only on where the code is, so they are computed once
per place and then remembered:

* ``extract_source_ref`` by (the unwrapped function's code object, the function's
  ``__name__``) -- what its answer is made of (file, first line, column, name);
* ``_try_infer_name`` by the call stack itself, as (code object, instruction offset) of
  every frame: the original reads nothing else (file names and source lines of frames).

Both keep the originals' answers (tests/test_shiny_speedups.py compares them) and fall
back to the originals for anything without a code object. Nothing in ``llmtrends/``
imports shiny; this lives with the Shiny wiring and is installed by ``app.py``.

Like ``llmtrends.serving.speedups`` (same switch, ``LLMTRENDS_SPEEDUPS``, and same checks), each
shortcut is installed only if what it replaces is there, takes the expected arguments and
answers a probe as the shortcut does; otherwise py-shiny is left alone, with one log line
(a py-shiny before 1.6 has no ``shiny.otel``: nothing to shorten there).
"""

from __future__ import annotations

import importlib
import inspect
import sys
import threading
from collections.abc import Callable

from llmtrends.serving import speedups
from llmtrends.serving.speedups import Unsupported

MAX_ENTRIES = 4096  # distinct functions / call stacks remembered (a few hundred in this app)

# the modules that imported extract_source_ref by name (each holds its own reference)
_SOURCE_REF_USERS = ("shiny.reactive._reactives", "shiny.reactive._extended_task", "shiny.session._session")
_ORIGINAL_SOURCE_REF: Callable | None = None  # py-shiny's own, once its check passed
_ORIGINAL_INFER_NAME: Callable | None = None

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


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise Unsupported(f"py-shiny has no {name} ({exc})") from None


def _probe_function():
    return None


def _check_source_ref() -> None:
    global _ORIGINAL_SOURCE_REF
    attributes = _module("shiny.otel._attributes")
    current = getattr(attributes, "extract_source_ref", None)
    current = _ORIGINAL_SOURCE_REF if current is source_ref else current
    speedups.expect_parameters(current, ["func"], "shiny.otel._attributes.extract_source_ref")
    expected = current(_probe_function)
    saved, _ORIGINAL_SOURCE_REF = _ORIGINAL_SOURCE_REF, current
    try:
        if not isinstance(expected, dict) or [source_ref(_probe_function) for _ in range(2)] != [expected] * 2:
            raise Unsupported("extract_source_ref answers otherwise than its shortcut")
    except BaseException:
        _ORIGINAL_SOURCE_REF = saved
        raise
    with _lock:
        _source_refs.clear()


def _probe_name(Value) -> str | None:  # noqa: N803 -- the name py-shiny looks for in the line below
    probe_value = Value(0)
    return probe_value._name


def _check_infer_name() -> None:
    global _ORIGINAL_INFER_NAME
    value_class = getattr(_module("shiny.reactive._reactives"), "Value", None)
    current = getattr(value_class, "_try_infer_name", None)
    current = _ORIGINAL_INFER_NAME if current is infer_name else current
    speedups.expect_parameters(current, ["self"], "shiny.reactive.Value._try_infer_name")
    value_class._try_infer_name = current
    expected = _probe_name(value_class)
    saved, _ORIGINAL_INFER_NAME = _ORIGINAL_INFER_NAME, current
    value_class._try_infer_name = infer_name
    try:
        if expected != "probe_value" or [_probe_name(value_class) for _ in range(2)] != [expected] * 2:
            raise Unsupported(f"Value._try_infer_name answers {expected!r} where its shortcut is checked")
    except BaseException:
        _ORIGINAL_INFER_NAME = saved
        raise
    finally:
        value_class._try_infer_name = current
        with _lock:
            _names.clear()


def _point_source_ref(now: Callable | None, next_: Callable) -> None:
    """Point py-shiny (and the modules that imported ``extract_source_ref``) at ``next_``."""
    sys.modules["shiny.otel._attributes"].extract_source_ref = next_
    for name in _SOURCE_REF_USERS:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "extract_source_ref", None) is now:
            module.extract_source_ref = next_


def install() -> dict[str, bool]:
    """Use the shortcuts that pass their checks (idempotent); which are in use."""
    used = {"extract_source_ref": speedups.checked("shiny extract_source_ref", _check_source_ref),
            "_try_infer_name": speedups.checked("shiny Value._try_infer_name", _check_infer_name)}
    if used["extract_source_ref"]:
        _point_source_ref(_ORIGINAL_SOURCE_REF, source_ref)
    if used["_try_infer_name"]:
        sys.modules["shiny.reactive._reactives"].Value._try_infer_name = infer_name
    return used


def uninstall() -> None:
    """Back to py-shiny's own code (tests compare both)."""
    if _ORIGINAL_SOURCE_REF is not None:
        _point_source_ref(source_ref, _ORIGINAL_SOURCE_REF)
    if _ORIGINAL_INFER_NAME is not None:
        sys.modules["shiny.reactive._reactives"].Value._try_infer_name = _ORIGINAL_INFER_NAME
    with _lock:
        _source_refs.clear()
        _names.clear()
