"""Whether the accounts and sessions behind this process's sockets still
hold: one read per interval for all of them.

Each socket used to re-read its own account every 5 s, a database session
per socket per check: 10,000 idle sockets made 2,000 queries a second, and
set-up waited behind them for the pool. Here a socket registers its
(user, session); one task reads the whole set (active users and live
sessions, one statement each per 5,000 ids) at the shortest interval any
socket asked for, and ends with 4401 the sockets of a deactivated account
or of an ended session (logout, its end, a password change or reset). The
bound a socket sees is the interval plus that read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Collection
from uuid import UUID

from healthrecords.domain.errors import Unavailable
from healthrecords.entrypoints.http.sockets.outage import DATABASE, OutageLog
from healthrecords.entrypoints.http.sockets.protocol import (
    CLOSE_INTERNAL,
    CLOSE_TRY_LATER,
    CLOSE_UNAUTHORIZED,
    SocketClosed,
)

log = logging.getLogger(__name__)

# A socket's (user id, session id): the `sub` and `sid` of its token.
Key = tuple[UUID, UUID]
# Which of the keys still hold: the account active and the session live.
Alive = Callable[[Collection[Key]], Awaitable[Collection[Key]]]
# Resolves to how the socket must close; a fresh exception per socket.
Ended = asyncio.Future[SocketClosed]


class AccountWatch:
    def __init__(self, alive: Alive, outage: OutageLog = DATABASE) -> None:
        self._alive = alive
        self._outage = outage
        self._sockets: dict[Key, set[Ended]] = {}
        self._intervals: Counter[float] = Counter()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def watching(self, user: UUID, session: UUID, interval: float) -> Watching:
        """For the socket's life (a `with` block): its `ended`, a future that
        resolves to a close, 4401 once the account is found inactive or the
        session ended, 1013 while the database is out."""
        return Watching(self, (user, session), interval)

    def _add(self, key: Key, interval: float, ended: Ended | None = None) -> Ended:
        if ended is None:
            ended = asyncio.get_running_loop().create_future()
        sooner = not self._intervals or interval < min(self._intervals)
        self._sockets.setdefault(key, set()).add(ended)
        self._intervals[interval] += 1
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="account watch")
        elif sooner:
            self._changed.set()
        return ended

    def watched(self) -> int:
        return sum(len(ended) for ended in self._sockets.values())

    def _forget(self, key: Key, interval: float, ended: Ended) -> None:
        sockets = self._sockets.get(key)
        if sockets is not None:
            sockets.discard(ended)
            if not sockets:
                del self._sockets[key]
        self._intervals[interval] -= 1
        if not self._intervals[interval]:
            del self._intervals[interval]
        if not self._sockets:
            self._changed.set()  # lets the task end now rather than at its next tick

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        checked = loop.time()
        try:
            while self._sockets:
                due = checked + min(self._intervals) - loop.time()
                if due > 0:
                    self._changed.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(due):
                            await self._changed.wait()
                    continue
                checked = loop.time()
                await self._check()
        finally:
            self._task = None

    async def _check(self) -> None:
        keys = list(self._sockets)
        try:
            alive = set(await self._alive(keys))
        except Unavailable as exc:
            self._outage.failed(exc)
            self._end(keys, CLOSE_TRY_LATER, "database unavailable, reconnect and resume")
            return
        except Exception as exc:
            # Once per check, not per socket; the error class only.
            log.exception("account check failed", extra={"error": type(exc).__name__})
            self._end(keys, CLOSE_INTERNAL, "internal error, reconnect and resume")
            return
        self._outage.succeeded()
        gone = [key for key in keys if key not in alive]
        self._end(gone, CLOSE_UNAUTHORIZED, "account deactivated or session ended")

    def _end(self, keys: Collection[Key], code: int, reason: str) -> None:
        for key in keys:
            for ended in self._sockets.get(key, ()):
                if not ended.done():
                    ended.set_result(SocketClosed(code, reason))


class Watching:
    # A class, not a generator context manager: one lives as long as its socket.
    __slots__ = ("_ended", "_interval", "_key", "_watch")

    def __init__(self, watch: AccountWatch, key: Key, interval: float) -> None:
        self._watch = watch
        self._key = key
        self._interval = interval
        self._ended: Ended | None = None

    def __enter__(self) -> Watching:
        self._ended = self._watch._add(self._key, self._interval)
        return self

    def __exit__(self, *_: object) -> None:
        if self._ended is not None:
            self._watch._forget(self._key, self._interval, self._ended)

    @property
    def ended(self) -> Ended:
        assert self._ended is not None, "entered"
        return self._ended

    def move_to(self, session: UUID) -> None:
        """A fresh token of another of the user's sessions: the socket lives
        as long as that one from now on."""
        if self._ended is None or session == self._key[1]:
            return
        self._watch._forget(self._key, self._interval, self._ended)
        self._key = (self._key[0], session)
        self._watch._add(self._key, self._interval, self._ended)
