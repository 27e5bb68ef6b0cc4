"""A TCP proxy that can be cut: stands between dingdan and its broker to stage an outage
without stopping the shared broker.

    proxy = CuttableProxy("127.0.0.1", 5672)
    port = await proxy.start()    # point dingdan at 127.0.0.1:port
    proxy.cut()                   # every connection closed, new ones refused
    proxy.restore()               # accepting again

`ProxyThread` runs one on its own loop in a thread, for callers that block.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class CuttableProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.is_cut = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        self.cut()
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        """Close every connection at once and refuse new ones (they are closed on accept)."""
        self.is_cut = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        self.is_cut = False

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self.is_cut:
            client_writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.transport.abort()
            return
        pair = {client_writer, upstream_writer}
        self._writers |= pair
        await asyncio.gather(
            self._pump(client_reader, upstream_writer, pair), self._pump(upstream_reader, client_writer, pair)
        )

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pair: set[asyncio.StreamWriter]
    ) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while chunk := await reader.read(65536):
                if self.is_cut:
                    break
                writer.write(chunk)
                await writer.drain()
        for each in pair:  # one side gone: end both, as a broken network path would
            each.transport.abort()
        self._writers -= pair


class ProxyThread:
    """The proxy on its own event loop in a thread, for callers that block (starting processes)."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.proxy = CuttableProxy(upstream_host, upstream_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcpcut", daemon=True)

    def start(self) -> int:
        self._thread.start()
        return self._call(self.proxy.start())

    def cut(self) -> None:
        self._call(self._do(self.proxy.cut))

    def restore(self) -> None:
        self._call(self._do(self.proxy.restore))

    def close(self) -> None:
        self._call(self.proxy.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    @staticmethod
    async def _do(action: Callable[[], None]) -> None:
        action()
