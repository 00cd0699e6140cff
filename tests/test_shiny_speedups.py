"""py-shiny's introspection shortcuts (modules/shiny_speedups.py) answer as py-shiny does.

Each case is asked of py-shiny's own code (uninstalled) and of the shortcuts (installed);
the answers must be equal, and a second ask must not run py-shiny's code again.
"""

from __future__ import annotations

import functools

import pytest
from shiny import reactive
from shiny.otel import _attributes
from shiny.reactive import _reactives

from modules import shiny_speedups as sp


@pytest.fixture
def originals():
    sp.uninstall()
    yield
    sp.uninstall()


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
    expected = [_attributes.extract_source_ref(fn) for fn in CASES]
    assert expected[0]["code.function.name"] == "plain" and "code.line.number" in expected[0]
    assert expected[2]["code.function.name"] != expected[3]["code.function.name"]
    sp.install()
    assert [_attributes.extract_source_ref(fn) for fn in CASES] == expected
    assert [_reactives.extract_source_ref(fn) for fn in CASES] == expected  # the name the reactives use
    assert [sp.source_ref(fn) for fn in CASES] == expected  # from the table now


def test_a_remembered_source_ref_is_not_computed_again(originals, monkeypatch):
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
    expected = _values()
    assert expected[:2] == ["counter", "other"] and expected[4] == "held" and expected[5] == "given"
    sp.install()
    assert _values() == expected
    assert _values() == expected  # from the table


def test_a_remembered_name_is_not_inferred_again(originals, monkeypatch):
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
