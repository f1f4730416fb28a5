"""Failed-login counters in Redis, so every API replica sees the same count.

Each account has a hash {failures, ends_at}; the window starts at the first
failure and its end is computed from the injected clock (tests move time
instead of sleeping). Redis' own expiry only cleans up afterwards.
"""

from __future__ import annotations

import math
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from healthrecords.domain.errors import Unavailable
from healthrecords.domain.ports.clock import Clock

UNAVAILABLE = "Sign-in is unavailable right now; try again shortly."

# KEYS[1] the account's hash; ARGV now and the new window's end (unix ms), cleanup TTL (s).
_RECORD_FAILURE = """
local ends_at = tonumber(redis.call('HGET', KEYS[1], 'ends_at') or '0')
local now = tonumber(ARGV[1])
if ends_at <= now then
  redis.call('HSET', KEYS[1], 'failures', 1, 'ends_at', ARGV[2])
else
  redis.call('HINCRBY', KEYS[1], 'failures', 1)
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


class RedisLoginAttemptLimiter:
    def __init__(
        self,
        redis: Redis,
        namespace: str,
        clock: Clock,
        max_failures: int,
        window_seconds: int,
    ) -> None:
        self._redis = redis
        self._prefix = f"{namespace}:login-failures:"
        self._clock = clock
        self._max = max_failures
        self._window = window_seconds
        self._record = redis.register_script(_RECORD_FAILURE)

    async def retry_after(self, account_key: str) -> int:
        try:
            raw = await cast(
                "Any", self._redis.hmget(self._prefix + account_key, ["failures", "ends_at"])
            )
        except (RedisError, OSError) as exc:
            raise Unavailable(UNAVAILABLE) from exc
        failures, ends_at = (int(v) if v is not None else 0 for v in raw)
        remaining_ms = ends_at - self._now_ms()
        if failures < self._max or remaining_ms <= 0:
            return 0
        return max(1, math.ceil(remaining_ms / 1000))

    async def record_failure(self, account_key: str) -> None:
        now = self._now_ms()
        try:
            await self._record(
                keys=[self._prefix + account_key],
                args=[now, now + self._window * 1000, self._window + 60],
            )
        except (RedisError, OSError) as exc:
            raise Unavailable(UNAVAILABLE) from exc

    def _now_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    async def reset(self, account_key: str) -> None:
        try:
            await self._redis.delete(self._prefix + account_key)
        except (RedisError, OSError) as exc:
            raise Unavailable(UNAVAILABLE) from exc
