"""The SQL notification outbox on PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.users import Role
from tests.people import add_user

KIND = NotificationKind.ASSIGNMENT_CREATED


@pytest.fixture(scope="module")
async def store(settings: Settings) -> AsyncIterator[Container]:
    container = build_container(settings)
    yield container
    await container.aclose()


async def _user(container: Container) -> UUID:
    return (await add_user(container, Role.DOCTOR)).id


async def _add(container: Container, recipient: UUID, at: datetime | None = None) -> UUID:
    async with container.uow() as uow:
        n = await uow.notifications.add(recipient, KIND, {"x": "1"}, at or datetime.now(UTC))
        await uow.commit()
    return n.id


async def test_seq_counts_up_per_recipient(store: Container) -> None:
    alice, bob = await _user(store), await _user(store)
    for _ in range(3):
        await _add(store, alice)
    await _add(store, bob)
    async with store.uow() as uow:
        assert [n.seq for n in await uow.notifications.list_for(alice)] == [1, 2, 3]
        assert [n.seq for n in await uow.notifications.list_for(bob)] == [1]
        assert [n.seq for n in await uow.notifications.list_for(alice, after_seq=1)] == [2, 3]
        assert [n.seq for n in await uow.notifications.list_recent(alice, before_seq=3)] == [2, 1]


async def test_concurrent_writers_get_distinct_gap_free_seqs(store: Container) -> None:
    recipient = await _user(store)
    await asyncio.gather(*(_add(store, recipient) for _ in range(20)))
    async with store.uow() as uow:
        seqs = [n.seq for n in await uow.notifications.list_for(recipient)]
    assert seqs == list(range(1, 21))


async def test_rolled_back_notification_leaves_no_row_and_no_seq(store: Container) -> None:
    recipient = await _user(store)
    async with store.uow() as uow:
        await uow.notifications.add(recipient, KIND, {}, datetime.now(UTC))
        await uow.rollback()
    await _add(store, recipient)
    async with store.uow() as uow:
        assert [n.seq for n in await uow.notifications.list_for(recipient)] == [1]


async def test_read_delivered_and_undelivered(store: Container) -> None:
    recipient, other = await _user(store), await _user(store)
    old = datetime.now(UTC) - timedelta(minutes=5)
    first, second = await _add(store, recipient, old), await _add(store, recipient, old)
    async with store.uow() as uow:
        assert await uow.notifications.seq_of(recipient, second) == 2
        assert await uow.notifications.seq_of(other, second) is None
        await uow.notifications.mark_read(first, datetime.now(UTC))
        await uow.notifications.mark_delivered(first, datetime.now(UTC))
        await uow.commit()
    async with store.uow() as uow:
        unread = await uow.notifications.list_for(recipient, unread_only=True)
        assert [n.id for n in unread] == [second]
        got = await uow.notifications.get(first)
        assert got is not None
        assert got.read_at is not None
        assert got.delivered_at is not None
        waiting = await uow.notifications.list_undelivered(datetime.now(UTC), 10_000)
        assert second in waiting
        assert first not in waiting
