"""Failed-login counters in process memory: the embedded mode's single process."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from healthrecords.domain.ports.clock import Clock


@dataclass
class _Window:
    failures: int
    ends_at: datetime


class MemoryLoginAttemptLimiter:
    def __init__(self, clock: Clock, max_failures: int, window_seconds: int) -> None:
        self._clock = clock
        self._max = max_failures
        self._window = timedelta(seconds=window_seconds)
        self._windows: dict[str, _Window] = {}

    async def retry_after(self, account_key: str) -> int:
        now = self._clock.now()
        window = self._windows.get(account_key)
        if window is None or window.ends_at <= now:
            self._windows.pop(account_key, None)
            return 0
        if window.failures < self._max:
            return 0
        return max(1, math.ceil((window.ends_at - now).total_seconds()))

    async def record_failure(self, account_key: str) -> None:
        now = self._clock.now()
        window = self._windows.get(account_key)
        if window is None or window.ends_at <= now:
            self._prune(now)
            self._windows[account_key] = _Window(1, now + self._window)
        else:
            window.failures += 1

    async def reset(self, account_key: str) -> None:
        self._windows.pop(account_key, None)

    def _prune(self, now: datetime) -> None:
        for key in [k for k, w in self._windows.items() if w.ends_at <= now]:
            del self._windows[key]
