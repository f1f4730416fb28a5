"""Per-client-address request limits: one for every route, a tighter one for /api/auth/.

Counters live in Redis in production (shared by replicas), in memory when
embedded. If Redis fails, these limits fail open (logged): they guard
capacity, while the per-account login limit, which guards passwords, fails
closed (see adapters/redis/login_attempts.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from litestar import Request
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.exceptions import RedisError

from healthrecords.bootstrap import Container

log = logging.getLogger(__name__)
STORE = "rate_limit"
AUTH_PREFIX = "/api/auth/"
# Load balancers probe these; throttling them would take a healthy replica out.
UNLIMITED = ["^/health$", "^/ready$"]
# A partitioned Redis answers nothing: unbounded, every request would wait out
# the client's 5 s socket timeout once per call (four calls on /api/auth/).
# So each call gets CALL_TIMEOUT, and after a failure Redis is left alone for
# COOLDOWN seconds (the limits are off meanwhile, as when it is refused).
CALL_TIMEOUT = 0.5
COOLDOWN = 5.0
T = TypeVar("T")


class FailOpenStore(Store):
    """Delegates to Redis; when Redis is unreachable, counts nothing and logs."""

    def __init__(self, inner: Store) -> None:
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

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        await self._guarded(lambda: self._inner.set(key, value, expires_in))

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await self._guarded(lambda: self._inner.get(key, renew_for))

    async def delete(self, key: str) -> None:
        await self._inner.delete(key)

    async def delete_all(self) -> None:
        await self._inner.delete_all()

    async def exists(self, key: str) -> bool:
        return await self._inner.exists(key)

    async def expires_in(self, key: str) -> int | None:
        return await self._inner.expires_in(key)


def rate_limit_store(container: Container) -> Store:
    if container.redis is None:
        return MemoryStore()
    namespace = f"{container.settings.redis_namespace}:rate-limit"
    return FailOpenStore(RedisStore(container.redis, namespace=namespace))


# async: Litestar hands a sync check to the thread pool, once per request.
async def _is_auth_route(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(AUTH_PREFIX)


def _auth_identifier(request: Request[Any, Any, Any]) -> str:
    return "auth:" + get_remote_address(request)


def rate_limit_middleware(container: Container) -> list[DefineMiddleware]:
    settings = container.settings
    general = RateLimitConfig(
        rate_limit=("minute", settings.rate_limit_per_minute), exclude=UNLIMITED, store=STORE
    )
    auth = RateLimitConfig(
        rate_limit=("minute", settings.auth_rate_limit_per_minute),
        check_throttle_handler=_is_auth_route,
        identifier_for_request=_auth_identifier,
        store=STORE,
    )
    return [general.middleware, auth.middleware]
