"""Both login-attempt stores hold to one rule (domain/login_limits.py).

Each test runs against the memory store and the Redis one on a clock the test
moves, so windows end without sleeping.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from healthrecords.adapters.memory.login_attempts import MemoryLoginAttemptLimiter
from healthrecords.adapters.redis.login_attempts import RedisLoginAttemptLimiter
from healthrecords.domain.login_limits import LoginAttempt, LoginLimits
from healthrecords.domain.ports.login_attempts import LoginAttemptLimiter
from tests.clock import MovableClock

LIMITS = LoginLimits(per_address=3, window_seconds=900, per_account=5, account_window_seconds=3600)


@dataclass
class Store:
    limiter: LoginAttemptLimiter
    clock: MovableClock
    account: str

    def at(self, address: str) -> LoginAttempt:
        return LoginAttempt(self.account, address)


@pytest.fixture(params=["memory", "redis"])
async def store(
    request: pytest.FixtureRequest, redis_url: str, redis_namespace: str
) -> AsyncIterator[Store]:
    clock = MovableClock()
    account = secrets.token_hex(8)
    if request.param == "memory":
        yield Store(MemoryLoginAttemptLimiter(clock, LIMITS), clock, account)
        return
    redis: Redis = Redis.from_url(redis_url)
    try:
        limiter = RedisLoginAttemptLimiter(redis, redis_namespace, clock, LIMITS)
        yield Store(limiter, clock, account)
    finally:
        await redis.aclose()


async def test_of_concurrent_attempts_only_the_limit_is_reserved(store: Store) -> None:
    waits = await asyncio.gather(*(store.limiter.reserve(store.at("a")) for _ in range(40)))

    assert waits.count(0) == LIMITS.per_address
    assert all(0 < w <= LIMITS.window_seconds for w in waits if w)


async def test_one_address_over_its_limit_does_not_stop_another(store: Store) -> None:
    for _ in range(LIMITS.per_address):
        assert await store.limiter.reserve(store.at("attacker")) == 0
    assert await store.limiter.reserve(store.at("attacker")) > 0
    assert await store.limiter.reserve(store.at("owner")) == 0


async def test_the_address_window_ends_by_the_clock(store: Store) -> None:
    for _ in range(LIMITS.per_address):
        await store.limiter.reserve(store.at("a"))
    wait = await store.limiter.reserve(store.at("a"))
    assert 0 < wait <= LIMITS.window_seconds

    store.clock.advance(wait - 2)
    assert await store.limiter.reserve(store.at("a")) > 0
    store.clock.advance(3)
    assert await store.limiter.reserve(store.at("a")) == 0


async def test_over_the_account_ceiling_only_known_addresses_get_through(store: Store) -> None:
    assert await store.limiter.reserve(store.at("owner")) == 0
    await store.limiter.succeeded(store.at("owner"))
    # Five failures from two addresses reach the account's ceiling of five.
    for address in ["x"] * 3 + ["y"] * 2:
        assert await store.limiter.reserve(store.at(address)) == 0

    wait = await store.limiter.reserve(store.at("z"))
    assert 0 < wait <= LIMITS.account_window_seconds
    assert await store.limiter.reserve(store.at("owner")) == 0

    store.clock.advance(LIMITS.account_window_seconds + 1)
    assert await store.limiter.reserve(store.at("z")) == 0


async def test_success_forgets_that_address_and_gives_the_account_back(store: Store) -> None:
    for _ in range(LIMITS.per_address):
        assert await store.limiter.reserve(store.at("a")) == 0
    await store.limiter.succeeded(store.at("a"))
    for _ in range(LIMITS.per_address):
        assert await store.limiter.reserve(store.at("a")) == 0
    # 3 + 3 reserved, 1 given back: 5 count against the account, its ceiling.
    assert await store.limiter.reserve(store.at("b")) > 0


async def test_an_undecided_attempt_is_given_back(store: Store) -> None:
    for _ in range(LIMITS.per_address):
        assert await store.limiter.reserve(store.at("a")) == 0
    await store.limiter.cancel(store.at("a"))
    assert await store.limiter.reserve(store.at("a")) == 0
    assert await store.limiter.reserve(store.at("a")) > 0
