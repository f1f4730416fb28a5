"""The Redis window counter: atomic under concurrency, and its window expires."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from healthrecords.entrypoints.http.rate_limit_counters import RedisWindowCounter


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client: Redis = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_concurrent_hits_each_get_their_own_count(redis: Redis, redis_namespace: str) -> None:
    counter = RedisWindowCounter(redis, f"{redis_namespace}:rate-limit")
    key = f"test-{secrets.token_hex(4)}"

    counted = [c for [c] in await asyncio.gather(*(counter.hit([key], 60) for _ in range(50)))]

    assert sorted(count for count, _ in counted) == list(range(1, 51))
    assert all(0 < reset <= 60 for _, reset in counted)


async def test_the_window_ends_and_counting_starts_again(
    redis: Redis, redis_namespace: str
) -> None:
    counter = RedisWindowCounter(redis, f"{redis_namespace}:rate-limit")
    key = f"test-{secrets.token_hex(4)}"
    assert (await counter.hit([key], 1))[0][0] == 1
    assert (await counter.hit([key], 1))[0][0] == 2

    deadline = asyncio.get_running_loop().time() + 5
    while (count := (await counter.hit([key], 1))[0][0]) != 1:
        assert asyncio.get_running_loop().time() < deadline, f"window never ended ({count})"
        await asyncio.sleep(0.2)


async def test_counting_goes_on_after_redis_lost_its_scripts(
    redis: Redis, redis_namespace: str
) -> None:
    counter = RedisWindowCounter(redis, f"{redis_namespace}:rate-limit")
    key = f"test-{secrets.token_hex(4)}"
    assert (await counter.hit([key], 60))[0][0] == 1
    # As after a restart: every client reloads what it needs (NOSCRIPT).
    await redis.script_flush()
    assert (await counter.hit([key], 60))[0][0] == 2
