"""Failed-login counters in process memory: the embedded mode's single process.

Each method runs without awaiting, so on one event loop it is atomic, as the
Redis scripts are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from healthrecords.domain.login_limits import LoginAttempt, LoginLimits
from healthrecords.domain.ports.clock import Clock

# Ended windows are swept once this many are held.
SWEEP_AT = 10_000


@dataclass
class _Window:
    failures: int
    ends_at: datetime


class MemoryLoginAttemptLimiter:
    def __init__(self, clock: Clock, limits: LoginLimits) -> None:
        self._clock = clock
        self._limits = limits
        self._pairs: dict[tuple[str, str], _Window] = {}
        self._accounts: dict[str, _Window] = {}
        self._known: dict[str, dict[str, datetime]] = {}

    async def reserve(self, attempt: LoginAttempt) -> int:
        now = self._clock.now()
        limits = self._limits
        pair = _live(self._pairs.get((attempt.account, attempt.address)), now)
        if pair is not None and pair.failures >= limits.per_address:
            return _seconds(pair.ends_at - now)
        account = _live(self._accounts.get(attempt.account), now)
        over_ceiling = account is not None and account.failures >= limits.per_account
        if account is not None and over_ceiling and not self._is_known(attempt, now):
            return _seconds(account.ends_at - now)
        self._sweep(now)
        self._pairs[(attempt.account, attempt.address)] = _bumped(pair, now, limits.window_seconds)
        self._accounts[attempt.account] = _bumped(account, now, limits.account_window_seconds)
        return 0

    async def succeeded(self, attempt: LoginAttempt) -> None:
        now = self._clock.now()
        self._pairs.pop((attempt.account, attempt.address), None)
        _give_back(self._accounts.get(attempt.account), now)
        known = self._known.setdefault(attempt.account, {})
        known.pop(attempt.address, None)
        known[attempt.address] = now + timedelta(seconds=self._limits.known_address_seconds)
        for address in [a for a, until in known.items() if until <= now]:
            del known[address]
        while len(known) > self._limits.known_addresses_kept:
            del known[next(iter(known))]

    async def cancel(self, attempt: LoginAttempt) -> None:
        now = self._clock.now()
        _give_back(self._pairs.get((attempt.account, attempt.address)), now)
        _give_back(self._accounts.get(attempt.account), now)

    def _is_known(self, attempt: LoginAttempt, now: datetime) -> bool:
        until = self._known.get(attempt.account, {}).get(attempt.address)
        return until is not None and until > now

    def _sweep(self, now: datetime) -> None:
        if len(self._pairs) + len(self._accounts) < SWEEP_AT:
            return
        self._pairs = {k: w for k, w in self._pairs.items() if w.ends_at > now}
        self._accounts = {k: w for k, w in self._accounts.items() if w.ends_at > now}


def _live(window: _Window | None, now: datetime) -> _Window | None:
    return window if window is not None and window.ends_at > now else None


def _bumped(window: _Window | None, now: datetime, seconds: int) -> _Window:
    if window is None:
        return _Window(1, now + timedelta(seconds=seconds))
    window.failures += 1
    return window


def _give_back(window: _Window | None, now: datetime) -> None:
    if window is not None and window.ends_at > now and window.failures > 0:
        window.failures -= 1


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
