"""How long and how much one client may hold a socket, and the counters that enforce it."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from healthrecords.entrypoints.http.sockets.protocol import (
    CLOSE_TOO_BIG,
    CLOSE_TOO_MANY,
    CLOSE_TRY_LATER,
    SocketClosed,
)

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Timings:
    # Counted from the accept. 5 s refused sockets of a 1,000-socket burst on
    # a busy 2-core machine (the loop read their auth late); the per-address
    # cap on unauthenticated sockets bounds what the wait can cost.
    auth_timeout: float = 10.0
    # Without `resume_after` in auth, live frames wait this long for a
    # `resume` message, so a replay never follows a newer live frame.
    resume_grace: float = 0.5
    ping_interval: float = 25.0
    send_timeout: float = 10.0
    probe_timeout: float = 5.0
    # A deactivated account loses its open sockets within this bound.
    account_check_interval: float = 5.0


@dataclass(frozen=True, slots=True)
class Limits:
    """What one client may make a socket do. Clients send a handful of small
    messages (auth, resume, ping); these bounds are far above that."""

    max_message_chars: int = 4096
    burst: int = 20
    per_second: float = 5.0
    sockets_per_user: int = 5


class Slots(Generic[K]):
    """Open sockets per key (user or address) in this process; each replica
    bounds its own."""

    def __init__(self) -> None:
        self._open: dict[K, int] = {}

    def take(self, key: K, limit: int) -> bool:
        if self._open.get(key, 0) >= limit:
            return False
        self._open[key] = self._open.get(key, 0) + 1
        return True

    def give_back(self, key: K) -> None:
        left = self._open.get(key, 0) - 1
        if left > 0:
            self._open[key] = left
        else:
            self._open.pop(key, None)

    def held(self, key: K) -> int:
        return self._open.get(key, 0)


class MessageGate:
    """Closes the socket on a message too big, or on too many too fast:
    a token bucket on the loop's clock, `burst` at once, `per_second` sustained."""

    def __init__(self, limits: Limits) -> None:
        self._max_chars = limits.max_message_chars
        self._burst = float(limits.burst)
        self._rate = limits.per_second
        self._tokens = float(limits.burst)
        self._at = asyncio.get_running_loop().time()

    def admit(self, text: str) -> None:
        if len(text) > self._max_chars:
            raise SocketClosed(CLOSE_TOO_BIG, "message too big")
        now = asyncio.get_running_loop().time()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            raise SocketClosed(CLOSE_TOO_MANY, "too many messages, slow down")
        self._tokens -= 1


class UserSlot:
    """One of the user's `sockets_per_user` slots for the socket's life."""

    __slots__ = ("_limit", "_slots", "_user")

    def __init__(self, slots: Slots[UUID] | None, user: UUID, limit: int) -> None:
        self._slots = slots
        self._user = user
        self._limit = limit

    def __enter__(self) -> None:
        if self._slots is not None and not self._slots.take(self._user, self._limit):
            raise SocketClosed(CLOSE_TOO_MANY, "too many sockets for this user")

    def __exit__(self, *_: object) -> None:
        if self._slots is not None:
            self._slots.give_back(self._user)


class SetupLine:
    """At most `size` sockets of a process set up at once (auth, subscribe,
    probe, first replay): a burst waits here rather than exhausting the
    database pool, which timed sockets out with 1013 under 1,000 at once."""

    def __init__(self, size: int, wait: float = 10.0) -> None:
        self._turns = asyncio.Semaphore(size)
        self._wait = wait

    def turn(self) -> Turn:
        """Held until the block ends or `Turn.release()` is called; a socket
        that waits longer than `wait` is closed 1013, never left hanging."""
        return Turn(self._turns, self._wait)


class Turn:
    __slots__ = ("_held", "_turns", "_wait")

    def __init__(self, turns: asyncio.Semaphore, wait: float) -> None:
        self._turns = turns
        self._wait = wait
        self._held = False

    async def __aenter__(self) -> Turn:
        try:
            async with asyncio.timeout(self._wait):
                await self._turns.acquire()
        except TimeoutError as exc:
            raise SocketClosed(CLOSE_TRY_LATER, "server busy, retry") from exc
        self._held = True
        return self

    async def __aexit__(self, *_: object) -> None:
        self.release()

    def release(self) -> None:
        if self._held:
            self._held = False
            self._turns.release()
