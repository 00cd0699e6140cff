"""A minimal Shiny websocket client, speaking the protocol of shiny/session/_session.py.

The browser's shiny.js sends ``{"method": "init", "data": {inputs}}`` once and then
``{"method": "update", "data": {inputs}}``; input names may carry a type suffix
(``"tp-dates:shiny.date"``) that selects a server-side input handler. Outputs are only
computed when the client reports them visible (``.clientdata_output_<id>_hidden: false``).
The server answers with ``{"config": ...}`` first, then messages such as
``{"busy": "busy"}``, ``{"values": {id: value}, "errors": {id: error}, "inputMessages": []}``,
``{"progress": ...}`` and ``{"busy": "idle"}``.

Like shiny.js, :class:`ShinyWire` binds the text inputs that arrive inside rendered UI
(e.g. the hidden board marker of ``modules/common.py``) by sending their initial value.

The transport is two callables, so the same client drives the real server (``websockets``'
sync client) and an in-process app (Starlette's ``TestClient`` websocket).
"""

from __future__ import annotations

import html
import json
import re
import urllib.request
from collections.abc import Callable

TEXT_INPUT = re.compile(r"<input\b[^>]*>", re.I)
ATTR = re.compile(r'([\w-]+)="([^"]*)"')
TRACEBACK = "Traceback (most recent call last)"


class ShinyWire:
    def __init__(self, send: Callable[[str], None], recv: Callable[[], str]):
        self._send, self._recv = send, recv
        self.values: dict[str, object] = {}   # last value per output id
        self.errors: list[tuple[str, object]] = []  # every output error the server sent
        self.raw: list[str] = []              # every message received
        self.sent: dict[str, object] = {}
        first = json.loads(self._recv())
        assert "config" in first, f"expected the config message first, got {first}"
        self.session_id: str = first["config"]["sessionId"]  # names the session's download URLs

    # ------------------------------------------------------------------ sending
    def init(self, inputs: dict[str, object], visible_outputs: list[str]) -> None:
        data = dict(inputs)
        data.update({f".clientdata_output_{o}_hidden": False for o in visible_outputs})
        data.update({".clientdata_pixelratio": 1, ".clientdata_url_search": ""})
        self.sent.update(data)
        self._send(json.dumps({"method": "init", "data": data}))

    def update(self, inputs: dict[str, object]) -> None:
        self.sent.update(inputs)
        self._send(json.dumps({"method": "update", "data": inputs}))

    # ---------------------------------------------------------------- receiving
    def receive(self) -> dict:
        text = self._recv()
        self.raw.append(text)
        msg = json.loads(text)
        for oid, err in (msg.get("errors") or {}).items():
            self.errors.append((oid, err))
        values = msg.get("values") or {}
        self.values.update(values)
        self._bind_text_inputs(values)
        return msg

    def _bind_text_inputs(self, values: dict) -> None:
        """Send the initial value of text inputs that arrived in rendered UI (as shiny.js)."""
        new = {}
        for value in values.values():
            markup = value.get("html", "") if isinstance(value, dict) else ""
            for tag in TEXT_INPUT.findall(markup or ""):
                attrs = dict(ATTR.findall(tag))
                if attrs.get("type") == "text" and "id" in attrs and "value" in attrs:
                    val = html.unescape(attrs["value"])
                    if self.sent.get(attrs["id"]) != val:
                        new[attrs["id"]] = val
        if new:
            self.update(new)

    def forget(self, output_id: str) -> None:
        """Drop the output's last value, so that ``wait_for`` waits for the next one."""
        self.values.pop(output_id, None)

    def html_of(self, output_id: str) -> str:
        value = self.values.get(output_id)
        if isinstance(value, dict):
            return value.get("html") or ""
        return "" if value is None else str(value)

    def wait_for(self, output_id: str, predicate: Callable[[str], bool], max_messages: int = 200) -> str:
        """Read messages until the output's latest value satisfies ``predicate``; returns it.

        Callers first clear the output (``forget``) when they wait for a *new* value."""
        for _ in range(max_messages):
            current = self.html_of(output_id)
            if output_id in self.values and predicate(current):
                return current
            self.receive()
        raise AssertionError(f"{output_id} never satisfied the condition; last value: {self.html_of(output_id)[:300]!r}")

    def assert_no_errors(self) -> None:
        assert not self.errors, f"the server sent output errors: {self.errors[:3]}"
        tracebacks = [m[:300] for m in self.raw if TRACEBACK in m]
        assert not tracebacks, f"a traceback was sent to the client: {tracebacks[0]}"


# A plot's image: a URL of the app holding the figure's content key (llmtrends/serving/figure_urls.py).
FIGURE_SRC = re.compile(r'src="(figures/([0-9a-f]{32})\.png)"')


def is_plot(markup: str) -> bool:
    """A plot: an image whose source is a figure URL of the app."""
    return "<img" in markup and "llmtrends-plot" in markup and FIGURE_SRC.search(markup) is not None


def figure_url(markup: str) -> str:
    """The figure URL of a plot's markup (relative to the page)."""
    match = FIGURE_SRC.search(markup)
    assert match, f"not a plot: {markup[:200]}"
    return match.group(1)


def fetch_figure(base_url: str, markup: str) -> bytes:
    """The PNG bytes the app serves for the plot in ``markup`` (``base_url``: the page's)."""
    with urllib.request.urlopen(base_url + figure_url(markup), timeout=60) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"] == "image/png"
        return resp.read()


def is_message(markup: str) -> bool:
    return "llmtrends-message" in markup and "<img" not in markup


def explorer_inputs(snap, ns: str = "explorer") -> dict[str, object]:
    """Every sidebar input of the Model Explorer at its defaults on ``snap``'s board, as the
    page sends them: a control the page has and the client leaves out keeps the grid from
    ever being computed (its ``input.x()`` is not there yet)."""
    from llmtrends.views import explorer

    p = explorer.Params.defaults(snap)
    ceiling = explorer.params_ceiling(snap.models)
    low, high = p.params_b if p.params_b is not None else (0, ceiling)
    inputs = {f"{ns}-controls_board": snap.board, f"{ns}-types": list(p.types), f"{ns}-sizes": list(p.sizes),
              f"{ns}-licenses": list(p.licenses), f"{ns}-moe": p.moe, f"{ns}-official": p.official,
              f"{ns}-min_score": p.min_score, f"{ns}-undated": p.undated, f"{ns}-hide_merges": p.hide_merges,
              f"{ns}-params_b": [low, high], f"{ns}-dates:shiny.date": [p.start.isoformat(), p.end.isoformat()]}
    if hasattr(p, "score"):  # the score the minimum is on ("" on a board without scores)
        inputs[f"{ns}-score"] = p.score or ""
    return inputs
