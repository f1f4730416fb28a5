"""A channels subscriber that remembers when it had to drop a message, and
that a socket can wait on without a task of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from litestar.channels.subscriber import Subscriber


class BoundedSubscriber(Subscriber):
    """With `max_backlog` and the "backoff" strategy a full queue drops new
    messages; this records it, so the socket is closed (the client resumes)
    rather than silently missing notifications or growing without bound.

    `arrival()` and `take()` replace `iter_events()`: an idle socket then
    waits on one future instead of a task and an async generator (about
    2 KiB per socket), and the socket reads every queued message at once.
    """

    overflowed = False
    _arrival: asyncio.Future[None] | None = None

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

    def take(self) -> Iterator[bytes | None]:
        """The waiting messages, oldest first; None marks the end of the stream."""
        while self.qsize:
            yield self._queue.get_nowait()

    def _wake(self) -> None:
        arrival, self._arrival = self._arrival, None
        if arrival is not None and not arrival.done():
            arrival.set_result(None)
