"""The account watch: one read per interval for every socket of the process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from uuid import UUID, uuid4

import pytest

from healthrecords.domain.errors import Unavailable
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.sockets.account_watch import AccountWatch
from healthrecords.entrypoints.http.sockets.outage import OutageLog

DEADLINE = 5.0


class Accounts:
    """The stored accounts, and every read the watch made of them."""

    def __init__(self) -> None:
        self.active: set[UUID] = set()
        self.reads: list[set[UUID]] = []
        self.failing = False
        self.read = asyncio.Event()

    def add(self) -> UUID:
        user = uuid4()
        self.active.add(user)
        return user

    async def active_roles(self, user_ids: Collection[UUID]) -> Mapping[UUID, Role]:
        self.reads.append(set(user_ids))
        self.read.set()
        if self.failing:
            raise Unavailable("The database is unavailable.")
        return {u: Role.PATIENT for u in user_ids if u in self.active}


async def test_one_read_checks_every_socket_and_ends_only_the_deactivated_ones() -> None:
    accounts = Accounts()
    watch = AccountWatch(accounts.active_roles)
    kept, gone = accounts.add(), accounts.add()
    with (
        watch.watching(kept, 0.05) as kept_ended,
        watch.watching(gone, 0.05) as gone_first,
        watch.watching(gone, 0.05) as gone_second,
    ):
        accounts.active.discard(gone)
        closes = await asyncio.wait_for(asyncio.gather(gone_first, gone_second), DEADLINE)

        assert [(c.code, c.reason) for c in closes] == [(4401, "account deactivated")] * 2
        assert not kept_ended.done()
        # Each read named every watched user once: one read for all sockets.
        assert all(read == {kept, gone} for read in accounts.reads)


async def test_a_shorter_interval_is_kept_even_while_a_longer_one_is_waiting() -> None:
    accounts = Accounts()
    watch = AccountWatch(accounts.active_roles)
    with watch.watching(accounts.add(), 3600.0):
        await asyncio.sleep(0)  # the watch is now waiting out the hour
        user = accounts.add()
        with watch.watching(user, 0.05) as ended:
            accounts.active.discard(user)
            close = await asyncio.wait_for(ended, DEADLINE)
    assert close.code == 4401


async def test_a_failed_read_ends_every_socket_1013_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    accounts = Accounts()
    watch = AccountWatch(accounts.active_roles, OutageLog())
    accounts.failing = True
    with (
        caplog.at_level(logging.WARNING),
        watch.watching(accounts.add(), 0.05) as a,
        watch.watching(accounts.add(), 0.05) as b,
    ):
        closes = await asyncio.wait_for(asyncio.gather(a, b), DEADLINE)
    assert [c.code for c in closes] == [1013, 1013]
    warnings = [r for r in caplog.records if "cannot read the database" in r.getMessage()]
    assert len(warnings) == 1


async def test_a_socket_that_comes_after_all_others_left_is_watched_again() -> None:
    accounts = Accounts()
    watch = AccountWatch(accounts.active_roles)
    user = accounts.add()
    with watch.watching(user, 0.05):
        await asyncio.wait_for(accounts.read.wait(), DEADLINE)
    assert watch.watched() == 0
    accounts.read.clear()
    # A socket that comes later starts the watch again and is read.
    with watch.watching(user, 0.05):
        await asyncio.wait_for(accounts.read.wait(), DEADLINE)
