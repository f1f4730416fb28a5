"""The rate-limit store in front of Redis: bounded calls, then a rest after a failure."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from litestar.stores.memory import MemoryStore

from healthrecords.entrypoints.http import rate_limits
from healthrecords.entrypoints.http.rate_limits import FailOpenStore


class HangingStore(MemoryStore):
    """A partitioned Redis: every call waits forever."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        self.calls += 1
        await asyncio.Event().wait()
        return None

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        self.calls += 1
        await asyncio.Event().wait()


async def test_a_hanging_redis_costs_one_short_wait_then_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rate_limits, "CALL_TIMEOUT", 0.05)
    inner = HangingStore()
    store = FailOpenStore(inner)

    assert await store.get("k") is None
    await store.set("k", b"1")
    assert await store.get("k") is None

    assert inner.calls == 1


async def test_after_the_rest_redis_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limits, "CALL_TIMEOUT", 0.05)
    monkeypatch.setattr(rate_limits, "COOLDOWN", 0.0)
    inner = HangingStore()
    store = FailOpenStore(inner)

    await store.get("k")
    await store.get("k")

    assert inner.calls == 2


async def test_a_healthy_store_answers_as_usual() -> None:
    store = FailOpenStore(MemoryStore())
    await store.set("k", b"1")
    assert await store.get("k") == b"1"
