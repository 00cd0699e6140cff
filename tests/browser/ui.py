"""Driving the app in the browser: open a view on a board, wait for it, change controls.

Waiting never sleeps a fixed time: :func:`quiesce` waits until the view is drawn and a
round trip through the server (an input the page sends after all others) came back
without any output having been recalculated in between.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

TRACEBACK = "Traceback (most recent call last)"
# The generic message modules/common.py shows when a table or figure raised: a bug.
FAILURE_WORDS = ("could not be drawn", "error was logged")


def _round_trip_idle(page: Page, view_id: str) -> bool:
    """Settled, then a round trip through the server during which nothing recomputed."""
    page.wait_for_function("v => __llm.settled(v)", arg=view_id)
    page.evaluate("() => __llm.ping()")
    page.wait_for_function("v => __llm.pongSeen && __llm.settled(v)", arg=view_id)
    return not page.evaluate("() => __llm.busySincePing")


def quiesce(page: Page, view_id: str) -> None:
    """Wait until the view is settled and the server has nothing left to recompute: two
    idle round trips in a row showing the same thing (after a tab's first opening, CI once
    saw the view read as drawn and then recompute; the cause was not reproduced)."""
    for _ in range(20):
        if not _round_trip_idle(page, view_id):
            continue
        before = sig(page, view_id)
        if _round_trip_idle(page, view_id) and sig(page, view_id) == before:
            return
    raise AssertionError(f"{view_id}: the view kept recomputing")


def sig(page: Page, view_id: str) -> str:
    """What the view's plots show now (image hashes, messages)."""
    return page.evaluate("v => __llm.sig(v)", view_id)


def open_view(page: Page, board: str, view_id: str) -> None:
    """Show a view's tab on a board and wait until it is drawn."""
    page.click(f'a[data-value="{view_id}"]')
    radio = page.locator(f'input[name="board"][value="{board}"]')
    if not radio.is_checked():
        radio.check()
    # ... and the view's controls drawn for that board (their hidden marker sent back): until
    # then the view still shows the previous board's plots, which it clears once the marker
    # arrives (CI saw a view read as drawn, then emptied)
    page.wait_for_function(
        "([v, b]) => Shiny.shinyapp.$inputValues['board'] === b && __llm.pane(v).classList.contains('active')"
        " && Shiny.shinyapp.$inputValues[v + '-controls_board'] === b",
        arg=[view_id, board])
    quiesce(page, view_id)


def assert_clean(page: Page, where: str) -> None:
    """No Shiny output error anywhere, no traceback, no 'could not be drawn' message."""
    errors = page.locator(".shiny-output-error")
    assert errors.count() == 0, f"{where}: output error(s): {errors.all_inner_texts()[:3]}"
    text = page.inner_text("body")
    assert TRACEBACK not in text, f"{where}: a Python traceback is on the page"
    for msg in page.locator(".llmtrends-message").all_inner_texts():
        assert not any(w in msg for w in FAILURE_WORDS), f"{where}: the view failed: {msg!r}"


def messages(page: Page, view_id: str) -> list[str]:
    pane = page.evaluate("v => '#' + __llm.pane(v).id", view_id)
    return page.locator(f"{pane} .llmtrends-message").all_inner_texts()


def images(page: Page, view_id: str) -> int:
    pane = page.evaluate("v => '#' + __llm.pane(v).id", view_id)
    return page.locator(f"{pane} img.llmtrends-plot").count()


def change_control(page: Page, control: dict):
    """Change one control once, as a user would; returns (description, undo)."""
    cid, kind = control["id"], control["kind"]
    if kind in ("daterange", "date", "slider"):
        binding = {"daterange": "shiny.dateRangeInput", "date": "shiny.dateInput", "slider": "shiny.sliderInput"}[kind]
        old = page.evaluate("([b, id]) => __llm.binding(b).getValue(document.getElementById(id))", [binding, cid])
        fn = {"daterange": "shiftDateRange", "date": "shiftDate", "slider": "shiftSlider"}[kind]
        new = page.evaluate(f"id => __llm.{fn}(id)", cid)
        value = {"start": old[0], "end": old[1]} if kind == "daterange" else old

        def undo():
            page.evaluate("([b, id, v]) => __llm.binding(b).receiveMessage(document.getElementById(id), {value: v})",
                          [binding, cid, value])
        return f"{old} -> {new}", undo
    if kind == "checkboxgroup":
        checked = page.locator(f'input[type="checkbox"][name="{cid}"]:checked')
        if checked.count() >= 2:
            value = checked.first.get_attribute("value")
            box = page.locator(f'input[type="checkbox"][name="{cid}"][value="{value}"]')
            box.uncheck()
            return f"untick {value!r}", box.check
        box = page.locator(f'input[type="checkbox"][name="{cid}"]:not(:checked)').first
        value = box.get_attribute("value")
        box = page.locator(f'input[type="checkbox"][name="{cid}"][value="{value}"]')
        box.check()
        return f"tick {value!r}", box.uncheck
    if kind == "radio":
        old = page.locator(f'input[type="radio"][name="{cid}"]:checked').get_attribute("value")
        radio = page.locator(f'input[type="radio"][name="{cid}"]:not(:checked)').first
        value = radio.get_attribute("value")
        radio.check()
        return f"pick {value!r}", page.locator(f'input[type="radio"][name="{cid}"][value="{old}"]').check
    if kind == "select":
        sel = page.locator(f"#{cid}")
        old = page.evaluate("id => { const e = document.getElementById(id); return e.selectize ? e.selectize.items.slice() : e.value; }", cid)
        picked = page.evaluate("id => __llm.changeSelect(id)", cid)
        if picked is None:
            options = [o for o in sel.locator("option").evaluate_all("os => os.map(o => o.value)") if o != old]
            sel.select_option(options[0])
            picked = options[0]

        def undo():
            page.evaluate("([id, v]) => { const e = document.getElementById(id);"
                          " if (e.selectize) e.selectize.setValue(v); }", [cid, old])
            if not isinstance(old, list):
                sel.select_option(old)
        return f"{old} -> {picked}", undo
    if kind == "checkbox":
        box = page.locator(f"#{cid}")
        was = box.is_checked()
        box.set_checked(not was)
        return ("untick" if was else "tick"), lambda: box.set_checked(was)
    if kind == "number":
        box = page.locator(f"#{cid}")
        old = box.input_value()
        hi = box.get_attribute("max")
        cur = float(old or 0)
        target = (cur + float(hi)) / 2 if hi not in (None, "") else cur + 1
        box.fill(f"{target:g}")
        box.press("Tab")

        def undo():
            box.fill(old)
            box.press("Tab")
        return f"{old} -> {target:g}", undo
    raise AssertionError(f"{cid}: no test action for a control of kind {kind!r}; teach tests/browser/ui.py")


def download(page: Page, element_id: str) -> tuple[str, bytes]:
    """Click a download button once it is ready (Shiny gave it its address); the file's
    suggested name and its bytes."""
    link = page.locator(f"#{element_id}")
    page.wait_for_function("id => { const a = document.getElementById(id); const h = a && a.getAttribute('href');"
                           " return h && h !== '#' && !a.classList.contains('disabled'); }", arg=element_id)
    with page.expect_download() as info:
        link.click()
    dl = info.value
    assert dl.failure() is None, f"{element_id}: download failed: {dl.failure()}"
    return dl.suggested_filename, Path(dl.path()).read_bytes()


def set_slider(page, input_id: str, value) -> None:
    page.evaluate("([id, v]) => __llm.binding('shiny.sliderInput').receiveMessage(document.getElementById(id),"
                  " {value: v})", [input_id, value])
