"""Per-client-address request limits: one for every route, a tighter one for /api/auth/.

Each limit counts requests in a fixed window per client address, started by
the window's first request (as Litestar's own limiter does). Counters live in
Redis in production (shared by replicas): one Lua script (INCR, then EXPIRE
if the key has no expiry yet), a single round trip and atomic, so no lock is
held across it. Embedded, they live in memory. If Redis fails, these limits fail open (logged): they
guard capacity, while the per-account login limit, which guards passwords,
fails closed (see adapters/redis/login_attempts.py).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import (
    DURATION_VALUES,
    RateLimitConfig,
    RateLimitMiddleware,
    get_remote_address,
)
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from redis.asyncio import Redis
from redis.exceptions import RedisError

from healthrecords.bootstrap import Container

log = logging.getLogger(__name__)
AUTH_PREFIX = "/api/auth/"
# Load balancers probe these; throttling them would take a healthy replica out.
UNLIMITED = ["^/health$", "^/ready$"]
# A partitioned Redis answers nothing: unbounded, every request would wait out
# the client's 5 s socket timeout once per limit (two on /api/auth/).
# So each call gets CALL_TIMEOUT, and after a failure Redis is left alone for
# COOLDOWN seconds (the limits are off meanwhile, as when it is refused).
CALL_TIMEOUT = 0.5
COOLDOWN = 5.0
# The memory counter sweeps ended windows once it holds this many keys.
SWEEP_AT = 10_000
T = TypeVar("T")


class WindowCounter(Protocol):
    async def hit(self, key: str, window: int) -> tuple[int, int] | None:
        """Count one request under `key`: (requests in this window including
        this one, seconds until the window ends), or None if unknown."""
        ...


class MemoryWindowCounter:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._windows: dict[str, tuple[int, float]] = {}

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        now = self._monotonic()
        count, ends = self._windows.get(key, (0, 0.0))
        if ends <= now:
            if len(self._windows) >= SWEEP_AT:
                self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
            count, ends = 0, now + window
        self._windows[key] = (count + 1, ends)
        return count + 1, max(1, math.ceil(ends - now))


# One command and one reply (a MULTI of SET NX EX, INCR, TTL cost the client
# twice as much to write and parse); scripts run atomically.
HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RedisWindowCounter:
    def __init__(self, redis: Redis, namespace: str) -> None:
        self._prefix = f"{namespace}:"
        self._hit = redis.register_script(HIT)

    async def hit(self, key: str, window: int) -> tuple[int, int]:
        count, ttl = await self._hit(keys=[self._prefix + key], args=[window])
        return int(count), int(ttl)


class FailOpenCounter:
    """Delegates to Redis; when Redis is unreachable, counts nothing and logs."""

    def __init__(self, inner: WindowCounter) -> None:
        self._inner = inner
        self._resting_until = 0.0

    async def _guarded(self, call: Callable[[], Awaitable[T]]) -> T | None:
        if time.monotonic() < self._resting_until:
            return None
        try:
            async with asyncio.timeout(CALL_TIMEOUT):
                return await call()
        except (RedisError, OSError, TimeoutError) as exc:
            self._resting_until = time.monotonic() + COOLDOWN
            log.warning("rate-limit store unreachable", extra={"error": type(exc).__name__})
            return None

    async def hit(self, key: str, window: int) -> tuple[int, int] | None:
        return await self._guarded(lambda: self._inner.hit(key, window))


def window_counter(container: Container) -> WindowCounter:
    if container.redis is None:
        return MemoryWindowCounter()
    namespace = f"{container.settings.redis_namespace}:rate-limit"
    return FailOpenCounter(RedisWindowCounter(container.redis, namespace))


class CountingRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's limiter (exclusions, keys, headers) over a WindowCounter."""

    def __init__(self, app: ASGIApp, config: RateLimitConfig, counter: WindowCounter) -> None:
        super().__init__(app, config)
        self._counter = counter
        self._window = DURATION_VALUES[self.unit]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope)
        if await self.should_check_request(request=request):
            counted = await self._counter.hit(self.cache_key_from_request(request), self._window)
            if counted is not None:
                headers = self._headers(*counted)
                if counted[0] > self.max_requests:
                    raise TooManyRequestsException(headers=headers)
                send = _adding_headers(send, headers)
        await self.app(scope, receive, send)

    def _headers(self, count: int, reset: int) -> dict[str, str]:
        config = self.config
        return {
            config.rate_limit_policy_header_key: f"{self.max_requests}; w={self._window}",
            config.rate_limit_limit_header_key: str(self.max_requests),
            config.rate_limit_remaining_header_key: str(max(0, self.max_requests - count)),
            config.rate_limit_reset_header_key: str(reset),
        }


def _adding_headers(send: Send, headers: dict[str, str]) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message.setdefault("headers", [])
            response_headers = MutableScopeHeaders(message)
            for key, value in headers.items():
                response_headers[key] = value
        await send(message)

    return send_with_headers


# async: Litestar hands a sync check to the thread pool, once per request.
async def _is_auth_route(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(AUTH_PREFIX)


def _auth_identifier(request: Request[Any, Any, Any]) -> str:
    return "auth:" + get_remote_address(request)


def rate_limit_middleware(container: Container) -> list[DefineMiddleware]:
    settings = container.settings
    counter = window_counter(container)
    general = RateLimitConfig(
        rate_limit=("minute", settings.rate_limit_per_minute), exclude=UNLIMITED
    )
    auth = RateLimitConfig(
        rate_limit=("minute", settings.auth_rate_limit_per_minute),
        check_throttle_handler=_is_auth_route,
        identifier_for_request=_auth_identifier,
    )
    return [
        DefineMiddleware(CountingRateLimitMiddleware, config=config, counter=counter)
        for config in (general, auth)
    ]
