"""Every Redis key the service writes starts with its namespace, SAQ's included.

Issue 10: the README said the namespace prefixes every Redis key, but SAQ's
were `saq:<queue>:...`. Run on a Redis of the test's own, so every key in it
is one this service wrote.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.entrypoints.worker.settings import build_worker
from tests.faults.own_redis import own_redis_server
from tests.integration.test_notification_redis import _delivered, _recipient, _write, until

# Built by SAQ's Job itself, not by the queue; short-lived (see notification_queue.py).
SAQ_ABORT_MARKER = b"saq:abort:"


@pytest.fixture
def own_redis() -> Iterator[str]:
    with own_redis_server() as url:
        yield url


@pytest.fixture
def on_own_redis(production_settings: Settings, own_redis: str) -> Settings:
    return dataclasses.replace(production_settings, redis_url=own_redis)


async def test_every_key_of_a_delivery_starts_with_the_namespace(on_own_redis: Settings) -> None:
    api_side: Container = build_container(on_own_redis)
    worker_side = build_container(on_own_redis)
    worker = build_worker(worker_side, handle_signals=False, grace_period=0)
    assert worker_side.saq_queue is not None
    await worker_side.saq_queue.connect()
    running = asyncio.create_task(worker.start())
    try:
        await api_side.readiness["redis"]()
        note = await _write(api_side, await _recipient(api_side))
        await api_side.notification_queue.enqueue([note])
        await until(lambda: _delivered(api_side, note), "marked delivered")
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await worker_side.aclose()
        await api_side.aclose()

    assert on_own_redis.redis_url is not None
    async with Redis.from_url(on_own_redis.redis_url) as client:
        keys = sorted(await client.keys("*"))
    prefix = f"{on_own_redis.redis_namespace}:".encode()
    assert any(key.startswith(prefix + b"saq:job:") for key in keys), keys
    strays = [k for k in keys if not k.startswith(prefix) and not k.startswith(SAQ_ABORT_MARKER)]
    assert strays == []
