"""The socket's clocks: when to ping, stop holding live frames for a
`resume`, and give up on the token. (The account is re-checked for all
sockets at once: account_watch.py.)"""

from __future__ import annotations

import asyncio
from datetime import datetime

from healthrecords.domain.ports.clock import Clock
from healthrecords.entrypoints.http.sockets.limits import Timings


class Deadlines:
    def __init__(self, clock: Clock, timings: Timings) -> None:
        self._clock = clock
        self._timings = timings
        self.expires_at: datetime | None = None
        self._last_sent = 0.0
        self._grace_ends = 0.0

    def ready(self) -> None:
        now = self._now()
        self._grace_ends = now + self._timings.resume_grace

    def sent(self) -> None:
        self._last_sent = self._now()

    def until_expiry(self) -> float:
        if self.expires_at is None:
            return 0.0
        return (self.expires_at - self._clock.now()).total_seconds()

    def until_grace(self) -> float:
        return self._grace_ends - self._now()

    def until_ping(self) -> float:
        return self._last_sent + self._timings.ping_interval - self._now()

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()
