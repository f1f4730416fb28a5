"""Embedded mode's queue: delivery after commit, and a sweep from start-up on."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

from healthrecords.adapters.memory.notification_queue import InProcessNotificationQueue

DEADLINE = 5.0


async def test_enqueued_ids_are_delivered_and_a_failure_does_not_stop_the_rest() -> None:
    delivered: list[UUID] = []
    broken = uuid4()

    async def deliver(notification_id: UUID) -> None:
        if notification_id == broken:
            raise ConnectionError("publish failed")
        delivered.append(notification_id)

    async def sweep() -> None:
        return None

    queue = InProcessNotificationQueue()
    queue.bind(deliver, sweep)
    ids = [uuid4(), broken, uuid4()]
    await queue.enqueue(ids)
    await asyncio.wait_for(queue.drain(), DEADLINE)
    assert delivered == [ids[0], ids[2]]


async def test_the_sweep_runs_at_start_up_and_stops_with_the_app() -> None:
    swept = asyncio.Event()

    async def deliver(_: UUID) -> None:
        return None

    async def sweep() -> None:
        swept.set()

    queue = InProcessNotificationQueue(sweep_interval=60)
    queue.bind(deliver, sweep)
    async with queue:
        await asyncio.wait_for(swept.wait(), DEADLINE)
    assert queue._sweeper is None
