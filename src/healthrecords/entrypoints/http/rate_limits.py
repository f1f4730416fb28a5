"""Per-client-address request limits: one for every route, a tighter one for /api/auth/.

One middleware counts a request under every limit that applies to it in one
counter call (rate_limit_counters.py), and its `RateLimit-*` headers describe
the limit that decides: the one exceeded, else the one with the fewest
requests left. An address known to be over a limit is refused from memory
until that window ends, so a flood from it costs no Redis call at all.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from healthrecords.bootstrap import Container
from healthrecords.entrypoints.http.middleware import EXTRA_HEADERS
from healthrecords.entrypoints.http.rate_limit_counters import (
    FailOpenCounter,
    MemoryWindowCounter,
    RedisWindowCounter,
    WindowCounter,
)

AUTH_PREFIX = "/api/auth/"
# Litestar hands middleware the path without its trailing slash.
RESET_PREFIX = "/api/auth/password-reset"
WINDOW = 60
# Addresses remembered as over a limit; past this many, ended entries are swept.
SWEEP_AT = 10_000


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    max_requests: int
    applies: Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Standing:
    limit: Limit
    count: int
    reset: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit.max_requests - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit.max_requests

    def headers(self) -> dict[str, str]:
        limit = self.limit.max_requests
        return {
            "RateLimit-Policy": f"{limit}; w={WINDOW}",
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }


def deciding(standings: list[Standing]) -> Standing:
    over = [s for s in standings if s.exceeded]
    if over:
        return max(over, key=lambda s: s.reset)
    return min(standings, key=lambda s: (s.remaining, s.limit.max_requests))


class AddressRateLimitMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    # Load balancers probe these; throttling them would take a healthy replica out.
    exclude_path_pattern = ("^/health$", "^/ready$")

    def __init__(self, limits: list[Limit], counter: WindowCounter) -> None:
        self._limits = limits
        self._counter = counter
        self._over: dict[str, tuple[float, Limit]] = {}

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        path = scope["path"]
        client = scope.get("client")
        address = client[0] if client else "127.0.0.1"
        applying = [limit for limit in self._limits if limit.applies(path)]
        keys = [f"{limit.name}:{address}" for limit in applying]
        self._refuse_if_known_over(keys)
        counted = await self._counter.hit(keys, WINDOW)
        if counted is not None:
            standings = [Standing(lim, c, r) for lim, (c, r) in zip(applying, counted, strict=True)]
            decisive = deciding(standings)
            if decisive.exceeded:
                key = f"{decisive.limit.name}:{address}"
                self._remember_over(key, decisive)
                raise TooManyRequestsException(headers=decisive.headers())
            # Added by the response-headers hook, in its one pass over the headers.
            scope.setdefault("state", {})[EXTRA_HEADERS] = [
                (name.lower().encode(), value.encode())
                for name, value in decisive.headers().items()
            ]
        await next_app(scope, receive, send)

    def _refuse_if_known_over(self, keys: list[str]) -> None:
        now = time.monotonic()
        for key in keys:
            known = self._over.get(key)
            if known is None:
                continue
            until, limit = known
            if until > now:
                standing = Standing(limit, limit.max_requests + 1, max(1, math.ceil(until - now)))
                raise TooManyRequestsException(headers=standing.headers())
            del self._over[key]

    def _remember_over(self, key: str, standing: Standing) -> None:
        now = time.monotonic()
        if len(self._over) >= SWEEP_AT:
            self._over = {k: v for k, v in self._over.items() if v[0] > now}
        # The window ends no sooner than `reset` whole seconds from now, less
        # the one second the count's rounding can add.
        self._over[key] = (now + standing.reset - 1, standing.limit)


def window_counter(container: Container) -> WindowCounter:
    if container.redis is None:
        return MemoryWindowCounter()
    settings = container.settings
    namespace = f"{settings.redis_namespace}:rate-limit"
    # Half the pool: logins, readiness and the rest keep the other half.
    slots = max(1, settings.redis_max_connections // 2)
    return FailOpenCounter(RedisWindowCounter(container.redis, namespace), slots)


def rate_limit_middleware(container: Container) -> list[Any]:
    settings = container.settings
    limits = [
        Limit("general", settings.rate_limit_per_minute, lambda _: True),
        Limit("auth", settings.auth_rate_limit_per_minute, lambda p: p.startswith(AUTH_PREFIX)),
        # Each request may send an email: far fewer than other auth calls.
        Limit(
            "password-reset",
            settings.password_reset_per_minute,
            lambda p: p.startswith(RESET_PREFIX),
        ),
    ]
    return [AddressRateLimitMiddleware(limits, window_counter(container))]
