"""Whether the accounts behind this process's sockets are still active: one
read per interval for all of them.

Each socket used to re-read its own account every 5 s, a database session
per socket per check: 10,000 idle sockets made 2,000 queries a second, and
set-up waited behind them for the pool. Here a socket registers its user;
one task reads the whole set (one statement per 5,000 users) at the
shortest interval any socket asked for, and ends a deactivated account's
sockets with 4401. The bound a socket sees is the interval plus that read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping
from uuid import UUID

from healthrecords.domain.errors import Unavailable
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.sockets.outage import DATABASE, OutageLog
from healthrecords.entrypoints.http.sockets.protocol import (
    CLOSE_INTERNAL,
    CLOSE_TRY_LATER,
    CLOSE_UNAUTHORIZED,
    SocketClosed,
)

log = logging.getLogger(__name__)

ActiveRoles = Callable[[Collection[UUID]], Awaitable[Mapping[UUID, Role]]]
# Resolves to how the socket must close; a fresh exception per socket.
Ended = asyncio.Future[SocketClosed]


class AccountWatch:
    def __init__(self, active_roles: ActiveRoles, outage: OutageLog = DATABASE) -> None:
        self._active_roles = active_roles
        self._outage = outage
        self._sockets: dict[UUID, set[Ended]] = {}
        self._intervals: Counter[float] = Counter()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def watching(self, user: UUID, interval: float) -> Watching:
        """For the socket's life (a `with` block): a future that resolves to a
        close, 4401 once the account is found inactive, 1013 while the
        database is out."""
        return Watching(self, user, interval)

    def _add(self, user: UUID, interval: float) -> Ended:
        ended: Ended = asyncio.get_running_loop().create_future()
        sooner = not self._intervals or interval < min(self._intervals)
        self._sockets.setdefault(user, set()).add(ended)
        self._intervals[interval] += 1
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="account watch")
        elif sooner:
            self._changed.set()
        return ended

    def watched(self) -> int:
        return sum(len(ended) for ended in self._sockets.values())

    def _forget(self, user: UUID, interval: float, ended: Ended) -> None:
        sockets = self._sockets.get(user)
        if sockets is not None:
            sockets.discard(ended)
            if not sockets:
                del self._sockets[user]
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
        users = list(self._sockets)
        try:
            active = await self._active_roles(users)
        except Unavailable as exc:
            self._outage.failed(exc)
            self._end(users, CLOSE_TRY_LATER, "database unavailable, reconnect and resume")
            return
        except Exception as exc:
            # Once per check, not per socket; the error class only.
            log.exception("account check failed", extra={"error": type(exc).__name__})
            self._end(users, CLOSE_INTERNAL, "internal error, reconnect and resume")
            return
        self._outage.succeeded()
        self._end([u for u in users if u not in active], CLOSE_UNAUTHORIZED, "account deactivated")

    def _end(self, users: Collection[UUID], code: int, reason: str) -> None:
        for user in users:
            for ended in self._sockets.get(user, ()):
                if not ended.done():
                    ended.set_result(SocketClosed(code, reason))


class Watching:
    # A class, not a generator context manager: one lives as long as its socket.
    __slots__ = ("_ended", "_interval", "_user", "_watch")

    def __init__(self, watch: AccountWatch, user: UUID, interval: float) -> None:
        self._watch = watch
        self._user = user
        self._interval = interval
        self._ended: Ended | None = None

    def __enter__(self) -> Ended:
        self._ended = self._watch._add(self._user, self._interval)
        return self._ended

    def __exit__(self, *_: object) -> None:
        if self._ended is not None:
            self._watch._forget(self._user, self._interval, self._ended)
