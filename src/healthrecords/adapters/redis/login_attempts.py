"""Failed-login counters in Redis, so every API replica sees the same count.

Per (account, address) and per account: a hash {failures, ends_at}; the
window starts at its first failure and ends by the injected clock (tests move
time instead of sleeping); Redis' own expiry only cleans up afterwards. Known
addresses: a sorted set per account scored by when they stop being known.
Each operation is one Lua script, so a check and its count are atomic across
replicas (domain/login_limits.py has the rule).
"""

from __future__ import annotations

import math

from redis.asyncio import Redis
from redis.exceptions import RedisError

from healthrecords.domain.errors import Unavailable
from healthrecords.domain.login_limits import LoginAttempt, LoginLimits
from healthrecords.domain.ports.clock import Clock

UNAVAILABLE = "Sign-in is unavailable right now; try again shortly."

_WINDOW = """
local function live(key, now)
  local v = redis.call('HMGET', key, 'failures', 'ends_at')
  local ends = tonumber(v[2] or '0')
  if ends <= now then return 0, 0 end
  return tonumber(v[1] or '0'), ends
end
local function give_back(key, now)
  local failures = live(key, now)
  if failures > 0 then redis.call('HINCRBY', key, 'failures', -1) end
end
"""

# KEYS pair, account, known. ARGV now_ms, address, per_address, window_ms,
# per_account, account_window_ms. Returns 0 (reserved) or ms to wait.
_RESERVE = (
    _WINDOW
    + """
local now = tonumber(ARGV[1])
local pair_failures, pair_ends = live(KEYS[1], now)
if pair_failures >= tonumber(ARGV[3]) then return pair_ends - now end
local account_failures, account_ends = live(KEYS[2], now)
if account_failures >= tonumber(ARGV[5]) then
  local known_until = tonumber(redis.call('ZSCORE', KEYS[3], ARGV[2]) or '0')
  if known_until <= now then return account_ends - now end
end
local function bump(key, failures, window_ms)
  if failures == 0 then
    redis.call('HSET', key, 'failures', 1, 'ends_at', now + window_ms)
  else
    redis.call('HINCRBY', key, 'failures', 1)
  end
  redis.call('EXPIRE', key, math.floor(window_ms / 1000) + 60)
end
bump(KEYS[1], pair_failures, tonumber(ARGV[4]))
bump(KEYS[2], account_failures, tonumber(ARGV[6]))
return 0
"""
)

# KEYS pair, account, known. ARGV now_ms, address, known_until_ms, keep, known_ttl_s.
_SUCCEEDED = (
    _WINDOW
    + """
local now = tonumber(ARGV[1])
redis.call('DEL', KEYS[1])
give_back(KEYS[2], now)
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[4]) + 1))
redis.call('EXPIRE', KEYS[3], ARGV[5])
return 1
"""
)

# KEYS pair, account. ARGV now_ms.
_CANCEL = (
    _WINDOW
    + """
local now = tonumber(ARGV[1])
give_back(KEYS[1], now)
give_back(KEYS[2], now)
return 1
"""
)


class RedisLoginAttemptLimiter:
    def __init__(self, redis: Redis, namespace: str, clock: Clock, limits: LoginLimits) -> None:
        self._prefix = f"{namespace}:login"
        self._clock = clock
        self._limits = limits
        self._reserve = redis.register_script(_RESERVE)
        self._succeeded = redis.register_script(_SUCCEEDED)
        self._cancel = redis.register_script(_CANCEL)

    def _keys(self, attempt: LoginAttempt) -> list[str]:
        return [
            f"{self._prefix}-failures:{attempt.account}:{attempt.address}",
            f"{self._prefix}-account-failures:{attempt.account}",
            f"{self._prefix}-known:{attempt.account}",
        ]

    async def reserve(self, attempt: LoginAttempt) -> int:
        limits = self._limits
        try:
            wait_ms = await self._reserve(
                keys=self._keys(attempt),
                args=[
                    self._now_ms(),
                    attempt.address,
                    limits.per_address,
                    limits.window_seconds * 1000,
                    limits.per_account,
                    limits.account_window_seconds * 1000,
                ],
            )
        except (RedisError, OSError) as exc:
            raise Unavailable(UNAVAILABLE) from exc
        return 0 if int(wait_ms) <= 0 else max(1, math.ceil(int(wait_ms) / 1000))

    async def succeeded(self, attempt: LoginAttempt) -> None:
        now = self._now_ms()
        limits = self._limits
        try:
            await self._succeeded(
                keys=self._keys(attempt),
                args=[
                    now,
                    attempt.address,
                    now + limits.known_address_seconds * 1000,
                    limits.known_addresses_kept,
                    limits.known_address_seconds + 60,
                ],
            )
        except (RedisError, OSError) as exc:
            raise Unavailable(UNAVAILABLE) from exc

    async def cancel(self, attempt: LoginAttempt) -> None:
        try:
            await self._cancel(keys=self._keys(attempt)[:2], args=[self._now_ms()])
        except (RedisError, OSError) as exc:
            raise Unavailable(UNAVAILABLE) from exc

    def _now_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)
