"""A TCP proxy to put between the app and PostgreSQL or Redis, then cut.

Faults are injected here, never by stopping the machine's shared servers.
The proxy runs its own event loop on a thread, so it keeps forwarding while
the test's loop is busy (or blocked) and works for in-process apps and for
child processes alike.

Modes:
- `cut()`: every open connection is reset and new ones are accepted and
  closed at once, like a server that died.
- `blackhole()`: connections stay open but nothing is forwarded either way,
  like a network partition; clients only notice through their own timeouts.
- `cut_when_client_sends(marker)`: forward until a client sends bytes that
  contain `marker` (say b"COMMIT"), then cut without passing them on, so the
  server never sees that statement.
- `refuse_with(sqlstate)`: like a PostgreSQL that crashed and is recovering
  (57P03), shutting down (57P01) or full (53300): open connections are reset
  and new ones get that FATAL ErrorResponse after their startup packet.
- `restore()`: forward again (new connections; cut ones stay dead).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from enum import Enum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.faults.postgres_refusal import refuse

CHUNK = 64 * 1024


class Mode(Enum):
    FORWARD = "forward"
    CUT = "cut"
    BLACKHOLE = "blackhole"
    REFUSE = "refuse"


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = Mode.FORWARD
        self.port = 0
        self.accepted = 0
        # Connections and client sends that arrived while blackholed: each is
        # a caller now waiting on this proxy.
        self.held = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter | None]] = set()
        self._flowing = asyncio.Event()
        self._trigger: bytes | None = None
        self.triggered = threading.Event()
        self.refusing_with = ""
        self.refused = 0

    # -- control, called from the test's thread ---------------------------------

    def start(self) -> TcpProxy:
        self._thread.start()
        self._call(self._start())
        return self

    def cut(self) -> None:
        self._call(self._set_mode(Mode.CUT))

    def blackhole(self) -> None:
        self.held = 0
        self._call(self._set_mode(Mode.BLACKHOLE))

    def restore(self) -> None:
        self._call(self._set_mode(Mode.FORWARD))

    def refuse_with(self, sqlstate: str) -> None:
        self.refusing_with = sqlstate
        self._call(self._set_mode(Mode.REFUSE))

    def cut_when_client_sends(self, marker: bytes) -> None:
        self.triggered.clear()
        self._trigger = marker

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def url_for(self, url: str) -> str:
        """`url` with its host and port replaced by this proxy's."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@" if userinfo else ""
        return urlunsplit(parts._replace(netloc=f"{netloc}127.0.0.1:{self.port}"))

    def _call(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout=10)

    # -- the proxy's own loop ----------------------------------------------------

    async def _start(self) -> None:
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _set_mode(self, mode: Mode) -> None:
        self.mode = mode
        if mode is Mode.FORWARD:
            self._flowing.set()
            return
        self._flowing.clear()
        if mode in (Mode.CUT, Mode.REFUSE):
            for client, upstream in list(self._links):
                _reset(client)
                if upstream is not None:
                    _reset(upstream)
            self._links.clear()

    async def _close(self) -> None:
        await self._set_mode(Mode.CUT)
        if self._server is not None:
            self._server.close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode is Mode.CUT:
            _reset(writer)
            return
        if self.mode is Mode.REFUSE:
            self.refused += await refuse(reader, writer, self.refusing_with)
            return
        link: tuple[asyncio.StreamWriter, asyncio.StreamWriter | None] = (writer, None)
        self._links.add(link)
        if not self._flowing.is_set():
            self.held += 1
        try:
            await self._flowing.wait()
            if writer.is_closing():
                return
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self._links.discard(link)
            _reset(writer)
            return
        self._links.discard(link)
        link = (writer, up_writer)
        self._links.add(link)
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, from_client=True),
                self._pipe(up_reader, writer, from_client=False),
            )
        finally:
            self._links.discard(link)
            _reset(writer)
            _reset(up_writer)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, from_client: bool
    ) -> None:
        try:
            while data := await reader.read(CHUNK):
                if from_client and self._trigger is not None and self._trigger in data:
                    self._trigger = None
                    await self._set_mode(Mode.CUT)
                    self.triggered.set()
                    return
                # Held while blackholed; dropped with the connection when cut.
                if not self._flowing.is_set():
                    self.held += 1
                await self._flowing.wait()
                if self.mode in (Mode.CUT, Mode.REFUSE):
                    return
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                if writer.can_write_eof():
                    writer.write_eof()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST, as a crashed peer would, rather than a polite FIN."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError, AttributeError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError, RuntimeError):
        writer.transport.abort()


@contextmanager
def proxy_for(url: str) -> Iterator[TcpProxy]:
    """A started proxy in front of the host and port of `url`."""
    parts = urlsplit(url)
    default_port = 6379 if parts.scheme.startswith("redis") else 5432
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or default_port).start()
    try:
        yield proxy
    finally:
        proxy.close()
