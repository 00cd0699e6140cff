"""Same-result shortcuts for hot spots found by profiling the app (issue 8).

Each gives the answers of the code it stands in for; tests compare them (the pandas one
with pandas' own on mixed inputs, the figure ones by rendering every view's figures with
and without them, byte for byte).

* **pandas' string isin** (:func:`install`; everywhere). pandas 3's ``str`` columns
  (Arrow-backed) answer ``isin(values)`` by building one Arrow scalar per value in Python:
  0.3 s for a few thousand repository ids, several times per control change in views that
  match repositories (author activity). The replacement converts the values in one
  ``pa.array`` call and asks Arrow the same question; values that are not all strings (or
  missing) go to pandas' own code.
* **A font's metrics tables** (:func:`install_figures`; wherever figures are drawn). For
  every text it lays out, matplotlib reads the font's ascent, descent and line gap from
  its OpenType tables (``FT2Font.get_sfnt_table``, a new dict each time): about 5 % of a
  figure's time, for tables that never change for a font file. The fonts
  ``matplotlib.text`` asks for are handed out wrapped, their tables read once per file.
* **String columns in the figure workers** (:func:`use_object_strings`; figure worker
  processes only). plotnine builds many small frames per figure (aesthetics, groups,
  colours, labels), and pandas 3 stores their strings as Arrow strings, which cost more
  to create and select from than NumPy object arrays at that size: about 10 % of a
  figure's time. A worker draws figures and nothing else, so there new string columns
  are object columns, as before pandas 3.0. The app process, whose tables and CSVs are
  pandas' own, keeps pandas' string type.

(Stacked figures no longer need plotnine's ``position_stack`` at render time: the views
stack their tables themselves, see ``views.common.stacked``.)
"""

from __future__ import annotations

import functools
import threading
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.core.arrays.string_arrow import ArrowStringArray

_ORIGINAL_ISIN = ArrowStringArray.isin


def string_isin(self: ArrowStringArray, values) -> np.ndarray:
    """``ArrowStringArray.isin`` with the value set built in one Arrow call."""
    try:
        value_set = pa.array(np.asarray(values, dtype=object), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return _ORIGINAL_ISIN(self, values)
    if value_set.type not in (pa.string(), pa.large_string()):
        return _ORIGINAL_ISIN(self, values)  # all missing, or not strings: pandas decides
    result = pc.is_in(self._pa_array, value_set=value_set.cast(self._pa_array.type))
    return np.array(result, dtype=np.bool_)


def original_string_isin():
    """pandas' own ``ArrowStringArray.isin``."""
    return _ORIGINAL_ISIN


def install() -> None:
    """Use the shortcut (idempotent)."""
    ArrowStringArray.isin = string_isin


def uninstall() -> None:
    """Back to pandas' own code (tests compare both)."""
    ArrowStringArray.isin = _ORIGINAL_ISIN


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


def install_figures() -> None:
    """Use the figure shortcuts that hold in any process (idempotent; imports matplotlib)."""
    global _ORIGINAL_GET_FONT
    import matplotlib.text as mtext

    if _ORIGINAL_GET_FONT is None:
        _ORIGINAL_GET_FONT = mtext.get_font
    mtext.get_font = text_get_font


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


def use_object_strings(enabled: bool = True) -> bool:
    """New string columns as object columns (``enabled``), or back to pandas' own
    inference; for figure worker processes only (see the module's docstring). Returns
    whether the setting took: a pandas without the option keeps its own type."""
    if _PANDAS_INFERS_STRINGS is None:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated in pandas 3
        pd.set_option(_INFER_STRING, False if enabled else _PANDAS_INFERS_STRINGS)
    return True
