"""NotificationService with memory fakes: delivery, sweep, reading, marking."""

from __future__ import annotations

from uuid import uuid4

import pytest

from healthrecords.domain.actor import Actor
from healthrecords.domain.errors import Forbidden, InvalidInput, NotFound
from healthrecords.domain.users import Role
from tests.unit.notifications_world import NotificationsWorld


async def test_deliver_publishes_once_and_marks_delivered() -> None:
    world = NotificationsWorld()
    (note,) = await world.notify(uuid4())
    assert await world.service.deliver(note.id) is True
    assert await world.service.deliver(note.id) is False
    assert [n.id for n in world.publisher.published] == [note.id]
    async with world.uow() as uow:
        stored = await uow.notifications.get(note.id)
    assert stored is not None
    assert stored.delivered_at == world.clock.now()


async def test_deliver_of_an_unknown_id_does_nothing() -> None:
    world = NotificationsWorld()
    assert await world.service.deliver(uuid4()) is False
    assert world.publisher.published == []


async def test_a_failed_publish_leaves_it_for_the_sweep() -> None:
    world = NotificationsWorld()
    (note,) = await world.notify(uuid4())

    async def broken(_: object) -> None:
        raise ConnectionError("redis is down")

    world.publisher.publish = broken  # type: ignore[method-assign,assignment]
    with pytest.raises(ConnectionError):
        await world.service.deliver(note.id)
    world.clock.advance(6)
    assert await world.service.sweep() == 1
    assert world.queue.enqueued == [note.id]


async def test_sweep_takes_only_undelivered_rows_older_than_a_few_seconds() -> None:
    world = NotificationsWorld()
    recipient = uuid4()
    old, delivered = await world.notify(recipient, 2)
    await world.service.deliver(delivered.id)
    world.clock.advance(6)
    (fresh,) = await world.notify(recipient)
    assert await world.service.sweep() == 1
    assert world.queue.enqueued == [old.id]
    assert fresh.id not in world.queue.enqueued


async def test_seq_counts_per_recipient() -> None:
    world = NotificationsWorld()
    a, b = uuid4(), uuid4()
    assert [n.seq for n in await world.notify(a, 3)] == [1, 2, 3]
    assert [n.seq for n in await world.notify(b, 1)] == [1]


async def test_marking_someone_elses_notification_is_not_found() -> None:
    world = NotificationsWorld()
    owner = Actor(id=uuid4(), role=Role.DOCTOR)
    (note,) = await world.notify(owner.id)
    with pytest.raises(NotFound):
        await world.service.mark_read(Actor(id=uuid4(), role=Role.DOCTOR), note.id)
    await world.service.mark_read(owner, note.id)
    page = await world.service.list(owner, unread_only=True)
    assert page.items == []


async def test_resume_point_of_a_foreign_id_is_invalid() -> None:
    world = NotificationsWorld()
    (note,) = await world.notify(uuid4())
    with pytest.raises(InvalidInput):
        await world.service.resume_point(uuid4(), note.id)
    assert await world.service.resume_point(note.recipient_id, None) == 0
    assert await world.service.resume_point(note.recipient_id, note.id) == 1


async def test_doctors_feed_refuses_other_roles() -> None:
    world = NotificationsWorld()
    with pytest.raises(Forbidden):
        await world.service.list_for_doctor(Actor(id=uuid4(), role=Role.PATIENT))
