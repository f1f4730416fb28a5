"""Fixed-window request counters for the per-address limits (rate_limits.py).

Each window starts at its key's first request, as Litestar's own limiter
does. In Redis (shared by replicas) one Lua script counts every key a request
is limited under: one round trip and one pooled connection per request,
atomic, no lock held across it. Embedded, the counters live in memory.

If Redis fails, these limits fail open (logged): they guard capacity, while
the per-account login limit, which guards passwords, fails closed (see
adapters/redis/login_attempts.py). Running out of pooled connections is not
a failure: calls wait for one of a fixed number of slots, and only the call
itself, once it has a slot, is timed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError

log = logging.getLogger(__name__)
Counts = list[tuple[int, int]]
# A partitioned Redis answers nothing: unbounded, every request would wait out
# the client's 5 s socket timeout. So a call is given up after SILENT_WINDOWS
# windows of CALL_TIMEOUT in which Redis answered no call at all, and Redis
# is then left alone for COOLDOWN seconds (the limits are off meanwhile, as
# when it is refused).
# 3 s: on this 2-core machine at load 7-11, a 320-request burst saw 1 s with
# no answer processed while Redis was healthy (tests/e2e/test_rate_limit_burst.py).
CALL_TIMEOUT = 0.5
SILENT_WINDOWS = 6
COOLDOWN = 5.0
# The memory counter sweeps ended windows once it holds this many keys.
SWEEP_AT = 10_000


class WindowCounter(Protocol):
    async def hit(self, keys: Sequence[str], window: int) -> Counts | None:
        """Count one request under each key: per key (requests in this window
        including this one, seconds until the window ends), or None if unknown."""
        ...


class MemoryWindowCounter:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._windows: dict[str, tuple[int, float]] = {}

    async def hit(self, keys: Sequence[str], window: int) -> Counts:
        now = self._monotonic()
        counted = []
        for key in keys:
            count, ends = self._windows.get(key, (0, 0.0))
            if ends <= now:
                if len(self._windows) >= SWEEP_AT:
                    self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
                count, ends = 0, now + window
            self._windows[key] = (count + 1, ends)
            counted.append((count + 1, max(1, math.ceil(ends - now))))
        return counted


# One command and one reply for all keys (a MULTI of SET NX EX, INCR, TTL
# cost the client twice as much to write and parse); scripts run atomically.
HIT = """
local counted = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = redis.call('TTL', key)
  if ttl < 0 then
    redis.call('EXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  counted[2 * i - 1] = count
  counted[2 * i] = ttl
end
return counted
"""


class RedisWindowCounter:
    """EVALSHA of HIT, loaded again if Redis has lost it (a restart, SCRIPT FLUSH).

    Not redis-py's Script object: its call checks `isinstance(client,
    Pipeline)`, a typing-Protocol check that alone took ~4% of a record
    read's CPU in py-spy samples.
    """

    def __init__(self, redis: Redis, namespace: str) -> None:
        self._redis = redis
        self._prefix = f"{namespace}:"
        self._sha = hashlib.sha1(HIT.encode(), usedforsecurity=False).hexdigest()

    async def hit(self, keys: Sequence[str], window: int) -> Counts:
        names = [self._prefix + k for k in keys]
        try:
            flat = await self._redis.evalsha(self._sha, len(names), *names, window)
        except NoScriptError:
            await self._redis.script_load(HIT)
            flat = await self._redis.evalsha(self._sha, len(names), *names, window)
        return [(int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]


class FailOpenCounter:
    """Delegates to Redis through at most `slots` calls at once; when Redis
    is unreachable, counts nothing and logs."""

    def __init__(self, inner: WindowCounter, slots: int) -> None:
        self._inner = inner
        self._slots = asyncio.Semaphore(slots)
        self._resting_until = 0.0
        self._answers = 0

    async def hit(self, keys: Sequence[str], window: int) -> Counts | None:
        if self._resting():
            return None
        # Waiting here is back-pressure, not failure: the pool is busy, Redis is not down.
        async with self._slots:
            if self._resting():
                return None
            try:
                return await self._answered(keys, window)
            except (RedisError, OSError, TimeoutError) as exc:
                self._resting_until = time.monotonic() + COOLDOWN
                log.warning("rate-limit store unreachable", extra={"error": type(exc).__name__})
                return None

    async def _answered(self, keys: Sequence[str], window: int) -> Counts | None:
        """The call's answer, or TimeoutError once Redis has answered nobody
        for SILENT_WINDOWS x CALL_TIMEOUT.

        A busy event loop (a burst on a loaded machine) makes calls late
        while Redis answers fine; late is not down, so a call is only given
        up when no other call got an answer meanwhile either. The call runs
        in the request's own task under a timer that cancels it, as
        asyncio.timeout does: a task and an asyncio.wait per request added
        about a quarter to the call's client CPU.
        """
        task = asyncio.current_task()
        assert task is not None
        watch = _SilenceWatch(self, task)
        try:
            counted = await self._inner.hit(keys, window)
        except asyncio.CancelledError:
            if watch.fired and task.uncancel() == 0:
                raise TimeoutError from None
            raise
        finally:
            watch.stop()
        if watch.fired:
            task.uncancel()
        self._answers += 1
        return counted

    def _resting(self) -> bool:
        return time.monotonic() < self._resting_until


class _SilenceWatch:
    """Cancels `task` after SILENT_WINDOWS windows in which `counter` got no answer."""

    __slots__ = ("counter", "fired", "handle", "task")

    def __init__(self, counter: FailOpenCounter, task: asyncio.Task[object]) -> None:
        self.counter, self.task, self.fired = counter, task, False
        self.handle = self._arm(counter._answers, 0)

    def _arm(self, seen: int, silent: int) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(CALL_TIMEOUT, self._check, seen, silent)

    def _check(self, seen: int, silent: int) -> None:
        answers = self.counter._answers
        silent = silent + 1 if answers == seen else 0
        if silent >= SILENT_WINDOWS:
            self.fired = True
            self.task.cancel()
        else:
            self.handle = self._arm(answers, silent)

    def stop(self) -> None:
        self.handle.cancel()
