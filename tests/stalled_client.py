"""A Shiny client that stops reading its websocket: the slow or hostile browser of issue 26.

:class:`StalledClient` speaks websocket over a plain TCP socket (the frames made by
``websockets``' sans-I/O ``ClientProtocol``, nothing read in a background thread), with a
receive buffer of a few kilobytes. It completes the handshake, sends Shiny's ``init`` and
then only *sends*: every :meth:`update` makes the server render and send new outputs,
which pile up in the server's buffers because this client never reads again. A server
that awaits the send to this client while holding a lock all sessions need stalls them.

Used by ``tests/test_stalled_client.py`` and ``benchmarks/stalled_client.py``.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

from websockets.client import ClientProtocol
from websockets.http11 import Response
from websockets.uri import parse_uri

RECEIVE_BUFFER = 4096  # bytes: the kernel's smallest useful window, so the server's sends back up at once


class StalledClient:
    def __init__(self, ws_url: str, timeout_s: float = 30.0):
        parts = urlsplit(ws_url)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # set before connect(), so the window the client offers stays this small
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        self.sock.settimeout(timeout_s)
        self.sock.connect((parts.hostname, parts.port))
        self.proto = ClientProtocol(parse_uri(ws_url), max_size=None)
        self.proto.send_request(self.proto.connect())
        self._flush()
        while not any(isinstance(e, Response) for e in self._read_some()):
            pass
        response = self.proto.handshake_exc
        if response is not None:
            raise RuntimeError(f"websocket handshake failed: {response}")

    def stall_on_explorer(self, snap, grids: int = 4) -> None:
        """Open the Model Explorer on ``snap``'s board with its default controls and make the
        server send ``grids`` new grids (~2 MB each on v1: more than the kernel buffers
        between server and client hold), reading none of it."""
        from llmtrends.views import explorer

        from tests.shinyproto import explorer_inputs

        ns, p = "explorer", explorer.Params.defaults(snap)
        self.init({"board": snap.board, "tab": ns, **explorer_inputs(snap, ns)},
                  [f"{ns}-grid", f"{ns}-controls", f"{ns}-provenance"])
        for i in range(grids):
            self.update({f"{ns}-undated": p.undated if i % 2 else not p.undated})  # each a new grid

    def _read_some(self) -> list:
        data = self.sock.recv(RECEIVE_BUFFER)
        if not data:
            raise ConnectionError("the server closed the connection during the handshake")
        self.proto.receive_data(data)
        return self.proto.events_received()

    def _flush(self) -> None:
        for chunk in self.proto.data_to_send():
            if chunk:
                self.sock.sendall(chunk)

    def _send(self, message: dict) -> None:
        self.proto.send_text(json.dumps(message).encode())
        self._flush()

    def init(self, inputs: dict[str, object], visible_outputs: list[str]) -> None:
        data = dict(inputs)
        data.update({f".clientdata_output_{o}_hidden": False for o in visible_outputs})
        data.update({".clientdata_pixelratio": 1, ".clientdata_url_search": ""})
        self._send({"method": "init", "data": data})

    def update(self, inputs: dict[str, object]) -> None:
        """Send an input change; never reads what the server answers."""
        self._send({"method": "update", "data": inputs})

    def server_backlog(self) -> int:
        """Bytes the server's socket to this client holds unsent (its ``tx_queue`` in
        /proc/net/tcp): how far the server's sends have backed up; 0 when not found."""
        mine = self.sock.getsockname()[1]
        server = self.sock.getpeername()[1]
        with open("/proc/net/tcp", encoding="ascii") as fh:
            next(fh)
            for line in fh:
                fields = line.split()
                local, remote, queues = fields[1], fields[2], fields[4]
                if int(local.split(":")[1], 16) == server and int(remote.split(":")[1], 16) == mine:
                    return int(queues.split(":")[0], 16)
        return 0

    def server_closed(self) -> bool:
        """Whether the server has closed the connection (read what is left, then see EOF).

        Reads without waiting; used after the test, when reading no longer matters."""
        self.sock.setblocking(False)
        try:
            while True:
                data = self.sock.recv(1 << 16)
                if not data:
                    return True
        except BlockingIOError:
            return False
        except OSError:
            return True
        finally:
            self.sock.setblocking(True)

    def close(self) -> None:
        self.sock.close()
