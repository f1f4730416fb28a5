"""A channels subscriber that remembers when it had to drop a message, and
that a socket can wait on without a task of its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.subscriber import BacklogStrategy, Subscriber


class BoundedSubscriber(Subscriber):
    """With `max_backlog` and the "backoff" strategy a full queue drops new
    messages; this records it, so the socket is closed (the client resumes)
    rather than silently missing notifications or growing without bound.

    `arrival()` and `take()` replace `iter_events()`: an idle socket then
    waits on one future instead of a task and an async generator, and the
    socket reads every queued message at once. The backlog is a list, not an
    asyncio.Queue (four empty deques, about 1.5 KiB per idle socket).
    """

    overflowed = False
    _arrival: asyncio.Future[None] | None = None

    def __init__(
        self,
        plugin: ChannelsPlugin,
        max_backlog: int | None = None,
        backlog_strategy: BacklogStrategy = "backoff",
    ) -> None:
        if backlog_strategy != "backoff":
            raise ValueError("BoundedSubscriber drops new messages when full (backoff)")
        super().__init__(plugin, max_backlog, backlog_strategy)
        self._queue: Any = Backlog(max_backlog or 0)

    def put_nowait(self, item: bytes | None) -> bool:
        accepted = super().put_nowait(item)
        if not accepted and item is not None:
            self.overflowed = True
        self._wake()
        return accepted

    async def put(self, item: bytes | None) -> None:
        await super().put(item)
        self._wake()

    def arrival(self) -> asyncio.Future[None]:
        """Done once a message is waiting (at once if one already is)."""
        arrival = asyncio.get_running_loop().create_future()
        if self.qsize:
            arrival.set_result(None)
        else:
            self._arrival = arrival
        return arrival

    async def iter_events(self) -> AsyncGenerator[bytes, None]:
        while True:
            await self.arrival()
            for item in self.take():
                if item is None:
                    return
                yield item

    def take(self) -> Iterator[bytes | None]:
        """The waiting messages, oldest first; None marks the end of the stream."""
        while self.qsize:
            yield self._queue.get_nowait()

    def _wake(self) -> None:
        arrival, self._arrival = self._arrival, None
        if arrival is not None and not arrival.done():
            arrival.set_result(None)


class Backlog:
    """What the subscriber uses of asyncio.Queue, without waiting getters."""

    __slots__ = ("_items", "_max")

    def __init__(self, maxsize: int) -> None:
        self._items: list[bytes | None] = []
        self._max = maxsize

    def put_nowait(self, item: bytes | None) -> None:
        if self._max and len(self._items) >= self._max:
            raise asyncio.QueueFull
        self._items.append(item)

    async def put(self, item: bytes | None) -> None:
        # The end-of-stream marker and history entries: never refused.
        self._items.append(item)

    def qsize(self) -> int:
        return len(self._items)

    def get_nowait(self) -> bytes | None:
        return self._items.pop(0)
