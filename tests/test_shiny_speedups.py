"""py-shiny's introspection shortcuts (modules/shiny_speedups.py) answer as py-shiny does.

Each case is asked of py-shiny's own code (uninstalled) and of the shortcuts (installed);
the answers must be equal, and a second ask must not run py-shiny's code again.

The shortcuts replace what py-shiny 1.6 and later have (``shiny.otel``); on an older
py-shiny (the declared floor is older) there is nothing to replace: each test then checks
that installing leaves py-shiny alone, which is the shortcuts' contract there.
tests/test_speedups.py takes each replaced piece away and checks the same on any version.
"""

from __future__ import annotations

import functools
import importlib

import pytest
from shiny import reactive
from shiny.reactive import _reactives

from llmtrends.serving import speedups
from modules import shiny_speedups as sp

try:
    _attributes = importlib.import_module("shiny.otel._attributes")
except ImportError:  # py-shiny before 1.6: no OpenTelemetry source references
    _attributes = None
HAS_SOURCE_REF = _attributes is not None and hasattr(_attributes, "extract_source_ref")
HAS_INFER_NAME = hasattr(_reactives.Value, "_try_infer_name")


@pytest.fixture
def originals():
    sp.uninstall()
    speedups.forget_checks()
    yield
    sp.uninstall()
    speedups.forget_checks()


def test_each_shortcut_is_used_exactly_where_py_shiny_has_what_it_replaces(originals):
    own_infer = _reactives.Value.__dict__.get("_try_infer_name")
    used = sp.install()
    assert used == {"extract_source_ref": HAS_SOURCE_REF, "_try_infer_name": HAS_INFER_NAME}
    if not HAS_INFER_NAME:  # nothing was added to py-shiny
        assert "_try_infer_name" not in _reactives.Value.__dict__
    else:
        assert _reactives.Value.__dict__["_try_infer_name"] is not own_infer


def plain():
    return 1


def _decorate(fn):
    @functools.wraps(fn)
    def wrapper(*a, **k):
        return fn(*a, **k)
    return wrapper


@_decorate
def decorated():
    return 2


def _make_renamed(name):
    def inner():
        return 3
    inner.__name__ = name  # one code object, several names (as modules/common's plot outputs)
    return inner


CASES = [plain, decorated, _make_renamed("plot_counts"), _make_renamed("plot_shares"), lambda: 4, len,
         functools.partial(plain)]


def test_source_refs_equal_py_shinys(originals):
    if not sp.install()["extract_source_ref"]:
        assert not HAS_SOURCE_REF  # this py-shiny has none: nothing to compare
        return
    sp.uninstall()
    expected = [_attributes.extract_source_ref(fn) for fn in CASES]
    assert expected[0]["code.function.name"] == "plain" and "code.line.number" in expected[0]
    assert expected[2]["code.function.name"] != expected[3]["code.function.name"]
    sp.install()
    assert [_attributes.extract_source_ref(fn) for fn in CASES] == expected
    assert [_reactives.extract_source_ref(fn) for fn in CASES] == expected  # the name the reactives use
    assert [sp.source_ref(fn) for fn in CASES] == expected  # from the table now


def test_a_remembered_source_ref_is_not_computed_again(originals, monkeypatch):
    if not sp.install()["extract_source_ref"]:
        assert not HAS_SOURCE_REF
        return
    calls = []
    real = sp._ORIGINAL_SOURCE_REF
    monkeypatch.setattr(sp, "_ORIGINAL_SOURCE_REF", lambda fn: calls.append(fn) or real(fn))
    sp.install()
    first = sp.source_ref(plain)
    first["code.function.name"] = "changed by a caller"  # callers get a copy
    assert sp.source_ref(plain)["code.function.name"] == "plain"
    assert len(calls) == 1


def _values():
    """reactive.Values created at several kinds of call sites; their inferred names."""
    counter = reactive.value(0)
    other: reactive.Value[int] = reactive.Value(1)
    listed = [reactive.value(2)]
    spread = (
        reactive.value(3)
    )

    class Holder:
        def __init__(self):
            self.held = reactive.value(4)

    named = reactive.value(5, name="given")
    out = [counter._name, other._name, listed[0]._name, spread._name, Holder().held._name, named._name]
    for _ in range(2):  # the same call site twice
        again = reactive.value(6)
        out.append(again._name)
    return out


def test_inferred_names_equal_py_shinys(originals):
    if not sp.install()["_try_infer_name"]:
        assert not HAS_INFER_NAME  # this py-shiny infers no names: nothing to compare
        return
    sp.uninstall()
    expected = _values()
    assert expected[:2] == ["counter", "other"] and expected[4] == "held" and expected[5] == "given"
    sp.install()
    assert _values() == expected
    assert _values() == expected  # from the table


def test_a_remembered_name_is_not_inferred_again(originals, monkeypatch):
    if not sp.install()["_try_infer_name"]:
        assert not HAS_INFER_NAME
        return
    calls = []
    real = sp._ORIGINAL_INFER_NAME

    def counting(self):
        calls.append(1)
        return real(self)

    monkeypatch.setattr(sp, "_ORIGINAL_INFER_NAME", counting)
    sp.install()
    names = [reactive.value(i)._name for i in range(3)]  # one call site, three times
    assert names == [None, None, None] and len(calls) == 1
    site = reactive.value(9)
    assert site._name == "site" and len(calls) == 2
