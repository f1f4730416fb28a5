"""Mail sent after commit by this process, with retries (embedded mode)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from healthrecords.domain.mail import OutgoingMail
from healthrecords.domain.ports.mail import Mailer

log = logging.getLogger(__name__)

# Seconds between tries: five tries over about half a minute.
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0)


class InProcessMailQueue:
    def __init__(self, mailer: Mailer, delays: Sequence[float] = RETRY_DELAYS) -> None:
        self._mailer = mailer
        self._delays = tuple(delays)
        self._tasks: set[asyncio.Task[None]] = set()

    async def enqueue(self, mail: OutgoingMail) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(mail))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the mail in flight (tests, and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    async def _deliver(self, mail: OutgoingMail) -> None:
        for attempt, delay in enumerate((0.0, *self._delays)):
            await asyncio.sleep(delay)
            try:
                await self._mailer.send(mail)
                return
            except Exception as exc:
                # The error class only: a message or address could carry secrets.
                log.warning(
                    "sending mail failed",
                    extra={"attempt": attempt + 1, "error": type(exc).__name__},
                )
        log.error("mail dropped after every retry failed")
