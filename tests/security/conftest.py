"""Loopback listeners for the SSRF tests: a canary that counts every connection it is offered,
and a small HTTP server whose answers a test chooses (e.g. a redirect)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Canary:
    """Listens on 127.0.0.1 (and ::1 when the machine has it) on one port; counts connections."""

    port: int
    connections: int = 0
    _sockets: list[socket.socket] = field(default_factory=list)


def _accept_forever(canary: Canary, listener: socket.socket) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        canary.connections += 1
        conn.close()


def _listen(family: socket.AddressFamily, address: str, port: int) -> socket.socket:
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(16)
    return listener


@pytest.fixture
def canary() -> Iterator[Canary]:
    first = _listen(socket.AF_INET, "127.0.0.1", 0)
    found = Canary(port=first.getsockname()[1], _sockets=[first])
    # Without IPv6 loopback the IPv6 cases are still refused before any connection.
    with contextlib.suppress(OSError):
        found._sockets.append(_listen(socket.AF_INET6, "::1", found.port))
    for listener in found._sockets:
        threading.Thread(target=_accept_forever, args=(found, listener), daemon=True).start()
    try:
        yield found
    finally:
        for listener in found._sockets:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            listener.close()


@dataclass
class Scripted:
    port: int
    answer: tuple[int, dict[str, str]] = (202, {})
    requests: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def scripted_server() -> Iterator[Scripted]:
    """An HTTP server on 127.0.0.1 answering every POST with `answer` (status, headers)."""
    state = Scripted(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(dict(self.headers.items()))
            status, headers = state.answer
            self.send_response(status)
            for name, value in {"Content-Length": "0", **headers}.items():
                self.send_header(name, value)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
