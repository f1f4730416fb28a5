"""Notification delivery on real Redis and PostgreSQL: SAQ, pub/sub, outages."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from litestar.channels import ChannelsPlugin
from redis.asyncio import Redis

from healthrecords.adapters.channels.redis_backend import ResilientRedisPubSubBackend
from healthrecords.adapters.channels.wire import RESYNC, Live, decode, notification_channel
from healthrecords.adapters.redis.notification_queue import (
    DEQUEUE_RETRY_DELAY,
    SaqNotificationQueue,
    delivery_job,
    saq_queue,
)
from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.users import Role
from healthrecords.entrypoints.worker.settings import build_worker
from tests.people import add_user

DEADLINE = 10.0


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not await condition():
        assert time.monotonic() < end, what
        await asyncio.sleep(0.02)


@pytest.fixture
async def container(production_settings: Settings) -> AsyncIterator[Container]:
    made = build_container(production_settings)
    yield made
    await made.aclose()


async def _recipient(container: Container) -> UUID:
    return (await add_user(container, Role.DOCTOR)).id


async def _write(container: Container, recipient: UUID) -> UUID:
    async with container.uow() as uow:
        note = await uow.notifications.add(
            recipient, NotificationKind.ASSIGNMENT_CREATED, {"x": "1"}, datetime.now(UTC)
        )
        await uow.commit()
    return note.id


async def _delivered(container: Container, notification_id: UUID) -> bool:
    async with container.uow() as uow:
        found = await uow.notifications.get(notification_id)
    return found is not None and found.delivered_at is not None


async def test_worker_publishes_on_the_recipients_channel_and_marks_delivered(
    container: Container, production_settings: Settings
) -> None:
    recipient = await _recipient(container)
    assert container.channels is not None
    async with container.channels as channels:
        channel = notification_channel(production_settings.redis_namespace, recipient)
        subscriber = await channels.subscribe(channel)
        note = await _write(container, recipient)
        await container.notification_queue.enqueue([note])
        worker_side = build_container(production_settings)
        worker = build_worker(worker_side, handle_signals=False, grace_period=0)
        assert worker_side.saq_queue is not None
        await worker_side.saq_queue.connect()
        running = asyncio.create_task(worker.start())
        try:
            events = subscriber.iter_events()
            message = decode(await asyncio.wait_for(anext(events), DEADLINE))
            await until(lambda: _delivered(container, note), "marked delivered")
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            await worker_side.aclose()
    assert isinstance(message, Live)
    assert message.frame["id"] == str(note)
    assert message.seq == 1


async def test_enqueueing_the_same_id_twice_makes_one_job(
    production_settings: Settings,
) -> None:
    queue = saq_queue(production_settings.redis_url or "", f"{uuid4().hex}-dedup")
    try:
        note = uuid4()
        first = await queue.enqueue(delivery_job(note))
        second = await queue.enqueue(delivery_job(note))
        assert first is not None
        assert second is None
        assert await queue.count("queued") == 1
    finally:
        await queue.redis.aclose()


async def test_enqueue_with_redis_down_returns_without_raising(
    production_settings: Settings,
) -> None:
    down = saq_queue("redis://127.0.0.1:1/0", production_settings.redis_namespace)
    queue = SaqNotificationQueue(down, timeout=1.0)
    await queue.enqueue([uuid4(), uuid4()])
    await queue.aclose()


async def test_relay_resyncs_after_losing_its_redis_connection(
    production_settings: Settings,
) -> None:
    assert production_settings.redis_url is not None
    # Named, so the relay's connection is found by its server-side id: by
    # address it is not, behind a container's NAT.
    name = f"relay-{uuid4().hex}"
    client = Redis.from_url(production_settings.redis_url, client_name=name)
    backend = ResilientRedisPubSubBackend(redis=client)
    backend.retry_delay = 0.05
    channel = f"{production_settings.redis_namespace}:resync:{uuid4()}"
    admin = Redis.from_url(production_settings.redis_url)
    try:
        async with ChannelsPlugin(backend, arbitrary_channels_allowed=True) as plugin:
            subscriber = await plugin.subscribe(channel)
            events = subscriber.iter_events()
            await plugin.wait_published(b"before", channel)
            assert await asyncio.wait_for(anext(events), DEADLINE) == b"before"
            # Cut the relay's own pub/sub connection from the server side.
            listening = [
                c["id"]
                for c in await admin.client_list()
                if c["name"] == name and int(c.get("sub", 0)) + int(c.get("psub", 0)) > 0
            ]
            assert len(listening) == 1, listening
            await admin.execute_command("CLIENT", "KILL", "ID", listening[0])
            assert await asyncio.wait_for(anext(events), DEADLINE) == RESYNC
            await plugin.wait_published(b"after", channel)
            assert await asyncio.wait_for(anext(events), DEADLINE) == b"after"
    finally:
        await admin.aclose()
        await client.aclose()


def test_production_settings_use_the_redis_adapters(production_settings: Settings) -> None:
    made = build_container(dataclasses.replace(production_settings))
    assert isinstance(made.notification_queue, SaqNotificationQueue)
    assert made.saq_queue is not None
    prefix = f"{production_settings.redis_namespace}:"
    assert made.saq_queue.namespace("queued").startswith(prefix)
    assert made.saq_queue.job_id("deliver:1").startswith(prefix)


async def test_a_worker_without_redis_waits_between_dequeues_instead_of_spinning(
    production_settings: Settings,
) -> None:
    down = saq_queue("redis://127.0.0.1:1/0", production_settings.redis_namespace)
    try:
        started = time.monotonic()
        assert await down.dequeue(timeout=1) is None
        assert time.monotonic() - started >= DEQUEUE_RETRY_DELAY
    finally:
        await down.redis.aclose()
