"""Same-result shortcuts for hot spots found by profiling the app (issue 8).

Each gives the answers of the code it stands in for; tests compare them (the pandas one
with pandas' own on mixed inputs, the figure ones by rendering every view's figures with
and without them, byte for byte).

* **pandas' string isin** (:func:`install`; everywhere). pandas 3's ``str`` columns
  (Arrow-backed) answer ``isin(values)`` by building one Arrow scalar per value in Python:
  slow for a few thousand repository ids (benchmarks/README.md), and asked several times
  per control change in views that match repositories (author activity). The replacement converts the values in one
  ``pa.array`` call and asks Arrow the same question; values that are not all strings (or
  missing) go to pandas' own code.
* **A font's metrics tables** (:func:`install_figures`; wherever figures are drawn). For
  every text it lays out, matplotlib reads the font's ascent, descent and line gap from
  its OpenType tables (``FT2Font.get_sfnt_table``, a new dict each time): a measurable
  share of a figure's time (benchmarks/README.md), for tables that never change for a font file. The fonts
  ``matplotlib.text`` asks for are handed out wrapped, their tables read once per file.
* **String columns in the figure workers** (:func:`use_object_strings`; figure worker
  processes only). plotnine builds many small frames per figure (aesthetics, groups,
  colours, labels), and pandas 3 stores their strings as Arrow strings, which cost more
  to create and select from than NumPy object arrays at that size (benchmarks/README.md). A worker draws figures and nothing else, so there new string columns
  are object columns, as before pandas 3.0. The app process, whose tables and CSVs are
  pandas' own, keeps pandas' string type.

**Failing safe.** Nothing here is installed by importing a module: the app and the figure
workers call :func:`install` and :func:`use_object_strings`, and :func:`llmtrends.serving.render.pyplot`
calls :func:`install_figures` when a process draws its first figure. Before replacing
anything, each checks that what it replaces is there and answers as expected (its
signature, and a probe comparing the library's answers with the shortcut's); if not, or
with ``LLMTRENDS_SPEEDUPS=0``, the library is left alone, with one log line saying why.
Each check runs once per process (:func:`checked`; forked workers inherit the result).
``modules/shiny_speedups.py`` uses the same switch and checks.

(Stacked figures no longer need plotnine's ``position_stack`` at render time: the views
stack their tables themselves, see ``views.periods.stacked``.)
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from llmtrends import config

log = logging.getLogger("llmtrends.serving.speedups")


class Unsupported(Exception):
    """What a shortcut replaces is missing or answers otherwise (the message says what)."""


_decided: dict[str, bool] = {}
_decided_lock = threading.RLock()


def checked(name: str, check: Callable[[], None]) -> bool:
    """Whether shortcut ``name`` may replace library code in this process: speedups are on
    (``LLMTRENDS_SPEEDUPS``) and ``check()`` returns without raising. Decided once per
    process; a failed check is logged once, in one line, and the library is left alone."""
    with _decided_lock:
        if name not in _decided:
            _decided[name] = _decide(name, check)
        return _decided[name]


def _decide(name: str, check: Callable[[], None]) -> bool:
    if not config.speedups():
        log.debug("speedup %s off (LLMTRENDS_SPEEDUPS=0)", name)
        return False
    try:
        check()
    except Exception as exc:  # noqa: BLE001 -- Unsupported, or a probe the library broke
        why = str(exc) if isinstance(exc, Unsupported) else f"its probe failed ({type(exc).__name__}: {exc})"
        log.info("speedup %s not used, the library's own code runs instead: %s", name, why)
        return False
    return True


def forget_checks() -> None:
    """Check again at the next install (tests change the libraries under the shortcuts)."""
    with _decided_lock:
        _decided.clear()


def expect_parameters(func, names: list[str], what: str) -> None:
    """Raise :class:`Unsupported` unless ``func`` is a callable whose parameters are ``names``."""
    if not callable(func):
        raise Unsupported(f"{what} is missing")
    try:
        found = list(inspect.signature(func).parameters)
    except (TypeError, ValueError) as exc:
        raise Unsupported(f"{what} has no readable signature ({exc})") from None
    if found != names:
        raise Unsupported(f"{what} takes ({', '.join(found)}), expected ({', '.join(names)})")


# ---------------------------------------------------------------------- pandas' string isin

_ORIGINAL_ISIN = None  # pandas' own ArrowStringArray.isin, once the check found it as expected


def _string_array_class():
    from pandas.core.arrays.string_arrow import ArrowStringArray

    return ArrowStringArray


def original_string_isin():
    """pandas' own ``ArrowStringArray.isin``."""
    if _ORIGINAL_ISIN is not None:
        return _ORIGINAL_ISIN
    current = _string_array_class().isin
    return current if current is not string_isin else None


def string_isin(self, values) -> np.ndarray:
    """``ArrowStringArray.isin`` with the value set built in one Arrow call."""
    try:
        value_set = pa.array(np.asarray(values, dtype=object), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return original_string_isin()(self, values)
    if value_set.type not in (pa.string(), pa.large_string()):
        return original_string_isin()(self, values)  # all missing, or not strings: pandas decides
    result = pc.is_in(self._pa_array, value_set=value_set.cast(self._pa_array.type))
    return np.array(result, dtype=np.bool_)


ISIN_PROBES = (["a", "x"], [], [None], ["b", None], [1, 2], ["a", 1], pd.Index(["c", "a"]))


def _check_isin() -> None:
    global _ORIGINAL_ISIN
    try:
        cls = _string_array_class()
    except ImportError as exc:
        raise Unsupported(f"pandas has no ArrowStringArray ({exc})") from None
    current = getattr(cls, "isin", None)
    current = _ORIGINAL_ISIN if current is string_isin else current
    expect_parameters(current, ["self", "values"], "pandas' ArrowStringArray.isin")
    probe = pd.array(["a", "b", None, "c", "a"], dtype=pd.StringDtype("pyarrow"))
    if not isinstance(probe, cls) or not isinstance(getattr(probe, "_pa_array", None), pa.ChunkedArray):
        raise Unsupported("pandas' pyarrow strings are no ArrowStringArray holding a _pa_array")
    saved, _ORIGINAL_ISIN = _ORIGINAL_ISIN, current
    try:
        for values in ISIN_PROBES:
            theirs = np.asarray(current(probe, values))
            if string_isin(probe, values).tolist() != theirs.tolist() or theirs.dtype != np.bool_:
                raise Unsupported(f"pandas' isin answers otherwise for {list(values)!r}")
    except BaseException:
        _ORIGINAL_ISIN = saved
        raise


def install() -> bool:
    """Use the isin shortcut (idempotent); whether it is in use (see :func:`checked`)."""
    if not checked("pandas ArrowStringArray.isin", _check_isin):
        return False
    _string_array_class().isin = string_isin
    return True


def uninstall() -> None:
    """Back to pandas' own code (tests compare both)."""
    if _ORIGINAL_ISIN is not None:
        _string_array_class().isin = _ORIGINAL_ISIN


# ------------------------------------------------------------------------------ figures


class _FontTables:
    """A font whose OpenType tables are read once; anything else goes to the font itself."""

    __slots__ = ("_font", "_tables")

    def __init__(self, font):
        self._font = font
        self._tables: dict = {}

    def get_sfnt_table(self, name: str):
        try:
            return self._tables[name]
        except KeyError:
            table = self._tables[name] = self._font.get_sfnt_table(name)
            return table

    def __getattr__(self, name: str):
        return getattr(self._font, name)


_ORIGINAL_GET_FONT = None


@functools.lru_cache(maxsize=64)
def _font_tables(paths: tuple, thread_id: int) -> _FontTables:
    # one per thread, as matplotlib's own get_font keeps them (a FreeType face is not thread-safe)
    return _FontTables(_ORIGINAL_GET_FONT(list(paths)))


def text_get_font(font_filepaths, *args, **kwargs):
    """``matplotlib.text.get_font`` whose fonts read their OpenType tables once per file."""
    if args or kwargs:
        return _ORIGINAL_GET_FONT(font_filepaths, *args, **kwargs)
    paths = tuple(font_filepaths) if isinstance(font_filepaths, (list, tuple)) else (font_filepaths,)
    return _font_tables(paths, threading.get_ident())


FONT_TABLES = ("head", "hhea", "OS/2")


def _check_get_font() -> None:
    global _ORIGINAL_GET_FONT
    import matplotlib.text as mtext
    from matplotlib import font_manager

    current = getattr(mtext, "get_font", None)
    if current is None:
        raise Unsupported("matplotlib.text has no get_font (before matplotlib 3.11 text is measured otherwise)")
    current = _ORIGINAL_GET_FONT if current is text_get_font else current
    expect_parameters(current, ["font_filepaths", "hinting_factor"], "matplotlib.text.get_font")
    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    theirs, ours = current([path]), _FontTables(current([path]))
    for table in FONT_TABLES:
        if ours.get_sfnt_table(table) != theirs.get_sfnt_table(table):
            raise Unsupported(f"a font's {table} table reads otherwise through matplotlib.text.get_font")
    if ours.family_name != theirs.family_name:
        raise Unsupported("matplotlib.text.get_font's fonts answer otherwise")
    _ORIGINAL_GET_FONT = current


def install_figures() -> bool:
    """Use the figure shortcuts that hold in any process (idempotent; imports matplotlib);
    whether they are in use (see :func:`checked`)."""
    if not checked("matplotlib.text.get_font", _check_get_font):
        return False
    import matplotlib.text as mtext

    mtext.get_font = text_get_font
    return True


def uninstall_figures() -> None:
    """Back to matplotlib's own code (tests compare both)."""
    if _ORIGINAL_GET_FONT is not None:
        import matplotlib.text as mtext

        mtext.get_font = _ORIGINAL_GET_FONT


_INFER_STRING = "future.infer_string"  # pandas 3 deprecates the option; pandas 4 drops it


def _infer_string_default():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.get_option(_INFER_STRING)
        except (KeyError, pd.errors.OptionError):
            return None


_PANDAS_INFERS_STRINGS = _infer_string_default()


def _set_infer_string(value: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated in pandas 3
        pd.set_option(_INFER_STRING, value)


def _check_object_strings() -> None:
    if _PANDAS_INFERS_STRINGS is None:
        raise Unsupported(f"pandas has no {_INFER_STRING} option")
    _set_infer_string(False)
    try:
        if pd.Series(["a", None]).dtype != object or pd.DataFrame({"a": ["x"]})["a"].dtype != object:
            raise Unsupported(f"{_INFER_STRING}=False does not make object string columns")
    finally:
        _set_infer_string(_PANDAS_INFERS_STRINGS)


def use_object_strings(enabled: bool = True) -> bool:
    """New string columns as object columns (``enabled``), or back to pandas' own
    inference; for figure worker processes only (see the module's docstring). Returns
    whether the setting took: off, or a pandas without the option, keeps its own type."""
    if enabled and not checked("pandas object string columns", _check_object_strings):
        return False
    if _PANDAS_INFERS_STRINGS is None:
        return False
    _set_infer_string(False if enabled else _PANDAS_INFERS_STRINGS)
    return True
