"""Failed logins per (account, address): 10 within 15 minutes, then 429 until the window passes.

Every request here comes from one client address ("testclient"); tests/e2e/test_login_abuse.py
uses several.
"""

from __future__ import annotations

import dataclasses

from litestar.testing import AsyncTestClient

from healthrecords.config import Settings
from healthrecords.entrypoints.http.app import create_app
from tests.api.clocked import clocked_client
from tests.api.test_auth import new_email, register, strong_password
from tests.clock import MovableClock

LOGIN = "/api/auth/login/"


async def test_the_eleventh_attempt_is_429_even_with_the_right_password(
    settings: Settings,
) -> None:
    clock = MovableClock()
    async with clocked_client(settings, clock) as (client, _):
        email, password = new_email(), strong_password()
        other_email, other_password = new_email(), strong_password()
        await register(client, email, password)
        await register(client, other_email, other_password)
        for _ in range(settings.login_max_failures):
            wrong = await client.post(LOGIN, json={"email": email, "password": "not-it-at-all"})
            assert wrong.status_code == 401
        locked = await client.post(LOGIN, json={"email": email, "password": password})
        assert locked.status_code == 429
        assert locked.headers["content-type"].startswith("application/problem+json")
        retry_after = int(locked.headers["retry-after"])
        assert 0 < retry_after <= settings.login_failure_window
        # Another account is not affected.
        other = await client.post(LOGIN, json={"email": other_email, "password": other_password})
        assert other.status_code == 200

        clock.advance(retry_after - 5)
        still = await client.post(LOGIN, json={"email": email.upper(), "password": password})
        assert still.status_code == 429
        clock.advance(6)
        again = await client.post(LOGIN, json={"email": email, "password": password})
        assert again.status_code == 200


async def test_unknown_emails_are_limited_like_known_ones(settings: Settings) -> None:
    clock = MovableClock()
    async with clocked_client(settings, clock) as (client, _):
        email = new_email()
        statuses = [
            (
                await client.post(LOGIN, json={"email": email, "password": "whatever-it-is"})
            ).status_code
            for _ in range(settings.login_max_failures + 1)
        ]
        assert statuses == [401] * settings.login_max_failures + [429]


async def test_a_successful_login_clears_the_count(settings: Settings) -> None:
    clock = MovableClock()
    async with clocked_client(settings, clock) as (client, _):
        email, password = new_email(), strong_password()
        await register(client, email, password)
        for _ in range(2):
            for _ in range(settings.login_max_failures - 1):
                wrong = await client.post(
                    LOGIN, json={"email": email, "password": "nope-nope-nope"}
                )
                assert wrong.status_code == 401
            ok = await client.post(LOGIN, json={"email": email, "password": password})
            assert ok.status_code == 200


async def test_login_fails_closed_when_redis_is_down(production_settings: Settings) -> None:
    broken = dataclasses.replace(production_settings, redis_url="redis://127.0.0.1:1/0")
    async with AsyncTestClient(create_app(broken)) as client:
        email, password = new_email(), strong_password()
        await register(client, email, password)
        response = await client.post(LOGIN, json={"email": email, "password": password})
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "retry-after" in response.headers
        # Routes that do not count logins keep working (the per-address limits fail open).
        assert (await client.get("/health")).status_code == 200
