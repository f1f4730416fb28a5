"""The rate-limit counters: bounded calls to Redis, then a rest after a failure."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from healthrecords.entrypoints.http import rate_limit_counters as rate_limits
from healthrecords.entrypoints.http.rate_limit_counters import FailOpenCounter, MemoryWindowCounter


class HangingCounter:
    """A partitioned Redis: every call waits forever."""

    def __init__(self) -> None:
        self.calls = 0

    async def hit(self, keys: Sequence[str], window: int) -> list[tuple[int, int]]:
        self.calls += 1
        await asyncio.Event().wait()
        return []


class FakeMonotonic:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


async def test_a_hanging_redis_costs_one_short_wait_then_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rate_limits, "CALL_TIMEOUT", 0.05)
    inner = HangingCounter()
    counter = FailOpenCounter(inner, slots=4)

    assert await counter.hit(["k"], 60) is None
    assert await counter.hit(["k"], 60) is None

    assert inner.calls == 1


async def test_after_the_rest_redis_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limits, "CALL_TIMEOUT", 0.05)
    monkeypatch.setattr(rate_limits, "COOLDOWN", 0.0)
    inner = HangingCounter()
    counter = FailOpenCounter(inner, slots=4)

    await counter.hit(["k"], 60)
    await counter.hit(["k"], 60)

    assert inner.calls == 2


async def test_a_healthy_counter_answers_as_usual() -> None:
    counter = FailOpenCounter(MemoryWindowCounter(), slots=4)
    assert await counter.hit(["k"], 60) == [(1, 60)]
    assert await counter.hit(["k"], 60) == [(2, 60)]


async def test_a_window_starts_at_its_first_request_and_ends_after_its_length() -> None:
    clock = FakeMonotonic()
    counter = MemoryWindowCounter(monotonic=clock)
    assert await counter.hit(["a"], 60) == [(1, 60)]
    clock.at += 59.5
    assert await counter.hit(["a"], 60) == [(2, 1)]
    assert await counter.hit(["b"], 60) == [(1, 60)]
    clock.at += 0.5
    assert await counter.hit(["a"], 60) == [(1, 60)]


class OneLateCounter:
    """Redis answering every call at once but those for "late"."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def hit(self, keys: Sequence[str], window: int) -> list[tuple[int, int]]:
        if keys == ["late"]:
            await self.release.wait()
        return [(1, window)]


async def test_a_late_answer_while_redis_answers_others_is_not_an_outage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rate_limits, "CALL_TIMEOUT", 0.02)
    inner = OneLateCounter()
    counter = FailOpenCounter(inner, slots=4)
    late = asyncio.ensure_future(counter.hit(["late"], 60))
    loop = asyncio.get_running_loop()
    # Others keep getting answers for ten of the late call's timeouts.
    end = loop.time() + 10 * rate_limits.CALL_TIMEOUT
    while loop.time() < end:
        assert await counter.hit(["k"], 60) is not None
        await asyncio.sleep(0.005)
    inner.release.set()

    assert await late == [(1, 60)]
