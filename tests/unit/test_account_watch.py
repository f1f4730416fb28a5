"""The account watch: one read per interval for every socket of the process,
ending those whose account is deactivated or whose session ended."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from uuid import UUID, uuid4

import pytest

from healthrecords.domain.errors import Unavailable
from healthrecords.entrypoints.http.sockets.account_watch import AccountWatch, Watching
from healthrecords.entrypoints.http.sockets.outage import OutageLog

DEADLINE = 5.0


Key = tuple[UUID, UUID]


class Accounts:
    """The stored accounts and their sessions, and every read the watch made of them."""

    def __init__(self) -> None:
        self.active: set[UUID] = set()
        self.sessions: dict[UUID, UUID] = {}  # live session -> its user
        self.reads: list[set[Key]] = []
        self.failing = False
        self.read = asyncio.Event()

    def add(self) -> UUID:
        user = uuid4()
        self.active.add(user)
        return user

    def log_in(self, user: UUID) -> UUID:
        session = uuid4()
        self.sessions[session] = user
        return session

    async def alive(self, keys: Collection[Key]) -> Collection[Key]:
        self.reads.append(set(keys))
        self.read.set()
        if self.failing:
            raise Unavailable("The database is unavailable.")
        return [(u, s) for u, s in keys if u in self.active and self.sessions.get(s) == u]

    def watching(self, watch: AccountWatch, user: UUID, interval: float) -> Watching:
        """A socket of `user` under a fresh session of its own."""
        return watch.watching(user, self.log_in(user), interval)


async def test_one_read_checks_every_socket_and_ends_only_the_deactivated_ones() -> None:
    accounts = Accounts()
    watch = AccountWatch(accounts.alive)
    kept, gone = accounts.add(), accounts.add()
    with (
        accounts.watching(watch, kept, 0.05) as kept_ended,
        accounts.watching(watch, gone, 0.05) as gone_first,
        accounts.watching(watch, gone, 0.05) as gone_second,
    ):
        accounts.active.discard(gone)
        ends = (gone_first.ended, gone_second.ended)
        closes = await asyncio.wait_for(asyncio.gather(*ends), DEADLINE)

        reason = "account deactivated or session ended"
        assert [(c.code, c.reason) for c in closes] == [(4401, reason)] * 2
        assert not kept_ended.ended.done()
        # Each read named every watched socket's session once: one read for all.
        assert all(len(read) == 3 for read in accounts.reads)
        assert all({user for user, _ in read} == {kept, gone} for read in accounts.reads)


async def test_ending_a_session_ends_only_its_sockets_in_the_same_read() -> None:
    accounts = Accounts()
    watch = AccountWatch(accounts.alive)
    user = accounts.add()
    ending, kept = accounts.log_in(user), accounts.log_in(user)
    with (
        watch.watching(user, ending, 0.05) as first,
        watch.watching(user, ending, 0.05) as second,
        watch.watching(user, kept, 0.05) as other,
    ):
        del accounts.sessions[ending]
        ends = (first.ended, second.ended)
        closes = await asyncio.wait_for(asyncio.gather(*ends), DEADLINE)
        assert [c.code for c in closes] == [4401, 4401]
        assert not other.ended.done()
        assert all(read == {(user, ending), (user, kept)} for read in accounts.reads)


async def test_a_socket_moved_to_a_fresh_session_lives_as_long_as_that_one() -> None:
    accounts = Accounts()
    watch = AccountWatch(accounts.alive)
    user = accounts.add()
    old, fresh = accounts.log_in(user), accounts.log_in(user)
    with watch.watching(user, old, 0.05) as socket:
        socket.move_to(fresh)
        del accounts.sessions[old]
        accounts.read.clear()
        # Two reads after the old session ended: the socket is still open.
        for _ in range(2):
            await asyncio.wait_for(accounts.read.wait(), DEADLINE)
            accounts.read.clear()
        assert not socket.ended.done()
        assert accounts.reads[-1] == {(user, fresh)}
        del accounts.sessions[fresh]
        close = await asyncio.wait_for(socket.ended, DEADLINE)
    assert close.code == 4401
    assert watch.watched() == 0


async def test_a_shorter_interval_is_kept_even_while_a_longer_one_is_waiting() -> None:
    accounts = Accounts()
    watch = AccountWatch(accounts.alive)
    with accounts.watching(watch, accounts.add(), 3600.0):
        await asyncio.sleep(0)  # the watch is now waiting out the hour
        user = accounts.add()
        with accounts.watching(watch, user, 0.05) as socket:
            accounts.active.discard(user)
            close = await asyncio.wait_for(socket.ended, DEADLINE)
    assert close.code == 4401


async def test_a_failed_read_ends_every_socket_1013_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    accounts = Accounts()
    watch = AccountWatch(accounts.alive, OutageLog())
    accounts.failing = True
    with (
        caplog.at_level(logging.WARNING),
        accounts.watching(watch, accounts.add(), 0.05) as a,
        accounts.watching(watch, accounts.add(), 0.05) as b,
    ):
        closes = await asyncio.wait_for(asyncio.gather(a.ended, b.ended), DEADLINE)
    assert [c.code for c in closes] == [1013, 1013]
    warnings = [r for r in caplog.records if "cannot read the database" in r.getMessage()]
    assert len(warnings) == 1


async def test_a_socket_that_comes_after_all_others_left_is_watched_again() -> None:
    accounts = Accounts()
    watch = AccountWatch(accounts.alive)
    user = accounts.add()
    with accounts.watching(watch, user, 0.05):
        await asyncio.wait_for(accounts.read.wait(), DEADLINE)
    assert watch.watched() == 0
    accounts.read.clear()
    # A socket that comes later starts the watch again and is read.
    with accounts.watching(watch, user, 0.05):
        await asyncio.wait_for(accounts.read.wait(), DEADLINE)
