"""NotificationQueue for the embedded mode: delivery runs in this process.

Same path as the worker: the service's `deliver` loads the row, publishes it
on the in-memory channels backend and marks it delivered; a periodic sweep
picks up rows a crash or a failed publish left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Self
from uuid import UUID

log = logging.getLogger(__name__)

Deliver = Callable[[UUID], Awaitable[object]]
Sweep = Callable[[], Awaitable[object]]


class InProcessNotificationQueue:
    def __init__(self, sweep_interval: float = 5.0) -> None:
        self._deliver: Deliver | None = None
        self._sweep: Sweep | None = None
        self._sweep_interval = sweep_interval
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def bind(self, deliver: Deliver, sweep: Sweep) -> None:
        """Late binding: the service that delivers is built with this queue."""
        self._deliver = deliver
        self._sweep = sweep

    async def enqueue(self, notification_ids: Sequence[UUID]) -> None:
        if self._deliver is None or not notification_ids:
            return
        task = asyncio.get_running_loop().create_task(self._run(list(notification_ids)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, notification_ids: list[UUID]) -> None:
        assert self._deliver is not None
        for notification_id in notification_ids:
            try:
                await self._deliver(notification_id)
            except Exception as exc:  # the sweep retries it
                log.warning(
                    "in-process delivery failed; the sweep will retry",
                    extra={"notification_id": str(notification_id), "error": type(exc).__name__},
                )

    async def _sweep_forever(self) -> None:
        assert self._sweep is not None
        while True:
            try:
                await self._sweep()
            except Exception as exc:  # try again next round
                log.warning("notification sweep failed", extra={"error": type(exc).__name__})
            await asyncio.sleep(self._sweep_interval)

    async def drain(self) -> None:
        """Wait for deliveries already handed over (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def __aenter__(self) -> Self:
        if self._sweep is not None and self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self.drain()
