"""Per-client-address limits: general, and tighter on /api/auth/. Own app, low limits."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets

from litestar.testing import AsyncTestClient

from healthrecords.config import Settings
from healthrecords.entrypoints.http.app import create_app


def limited(settings: Settings, general: int, auth: int) -> Settings:
    # A namespace of its own: the shared client's counters live under the session's.
    return dataclasses.replace(
        settings,
        rate_limit_per_minute=general,
        auth_rate_limit_per_minute=auth,
        redis_namespace=f"{settings.redis_namespace}-{secrets.token_hex(4)}",
    )


async def test_the_general_limit_answers_429_problem_with_retry_after(settings: Settings) -> None:
    async with AsyncTestClient(create_app(limited(settings, general=5, auth=100))) as client:
        statuses = [(await client.get("/api/doctors/")).status_code for _ in range(5)]
        assert statuses == [401] * 5
        response = await client.get("/api/doctors/")
        assert response.status_code == 429
        assert response.headers["content-type"].startswith("application/problem+json")
        assert 0 < int(response.headers["retry-after"]) <= 60
        assert response.json()["status"] == 429
        # Health probes are never throttled.
        assert (await client.get("/health")).status_code == 200


async def test_the_auth_routes_have_a_tighter_limit(settings: Settings) -> None:
    async with AsyncTestClient(create_app(limited(settings, general=100, auth=3))) as client:
        body = {"email": "nobody@example.test", "password": "wrong-password-here"}
        statuses = [
            (await client.post("/api/auth/login/", json=body)).status_code for _ in range(3)
        ]
        assert statuses == [401] * 3
        response = await client.post("/api/auth/refresh/", json={"refresh_token": "x"})
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0
        # Other routes still have room under the general limit.
        assert (await client.get("/api/doctors/")).status_code == 401


async def test_the_ratelimit_headers_describe_the_limit_that_decides(settings: Settings) -> None:
    async with AsyncTestClient(create_app(limited(settings, general=600, auth=60))) as client:
        body = {"refresh_token": "x"}
        first = await client.post("/api/auth/refresh/", json=body)
        assert first.headers["ratelimit-limit"] == "60"
        assert first.headers["ratelimit-remaining"] == "59"
        assert first.headers["ratelimit-policy"] == "60; w=60"
        # Elsewhere the general limit is the one that applies.
        other = await client.get("/api/doctors/")
        assert other.headers["ratelimit-limit"] == "600"
        assert other.headers["ratelimit-remaining"] == "598"


async def test_the_general_limit_decides_on_auth_routes_once_it_is_nearer(
    settings: Settings,
) -> None:
    async with AsyncTestClient(create_app(limited(settings, general=5, auth=60))) as client:
        for _ in range(3):
            await client.get("/api/doctors/")
        response = await client.post("/api/auth/refresh/", json={"refresh_token": "x"})
        assert response.headers["ratelimit-limit"] == "5"
        assert response.headers["ratelimit-remaining"] == "1"


async def test_password_reset_requests_have_their_own_limit_even_at_once(
    settings: Settings,
) -> None:
    """Each reset request may send an email: per address they are held far
    below other auth calls, and a burst cannot slip more through."""
    tight = dataclasses.replace(
        limited(settings, general=100, auth=100), password_reset_per_minute=2
    )
    async with AsyncTestClient(create_app(tight)) as client:
        body = {"email": "nobody@example.test"}
        answers = await asyncio.gather(
            *(client.post("/api/auth/password-reset/", json=body) for _ in range(6))
        )
        assert sorted(a.status_code for a in answers) == [202, 202, 429, 429, 429, 429]
        refused = next(a for a in answers if a.status_code == 429)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert int(refused.headers["retry-after"]) > 0
        # Login is not held by the reset limit.
        login = {"email": "nobody@example.test", "password": "wrong-password-here"}
        assert (await client.post("/api/auth/login/", json=login)).status_code == 401
