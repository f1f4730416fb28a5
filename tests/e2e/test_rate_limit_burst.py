"""A burst from one address against a real server process: limits hold.

About 300 simultaneous requests used to exhaust the Redis client's pool; the
limiter took that for an outage and let everything through for 5 s.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from healthrecords.config import Settings
from tests.burst import burst, post_json
from tests.faults.processes import ApiServer, settings_env, start_api

BURST = 320
AUTH_LIMIT = 60
TIMEOUT = 60.0
REFRESH = post_json("/api/auth/refresh/", {"refresh_token": "not-a-real-one"})


@pytest.fixture
async def api(settings: Settings, tmp_path: Path) -> AsyncIterator[ApiServer]:
    env = settings_env(
        settings,
        redis_namespace=f"{settings.redis_namespace}-{secrets.token_hex(4)}",
        auth_rate_limit_per_minute=str(AUTH_LIMIT),
    )
    server = await start_api(env, tmp_path)
    yield server
    await server.stop()


def client(api: ApiServer, address: str, connections: int) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(
        local_address=address, limits=httpx.Limits(max_connections=connections)
    )
    return httpx.AsyncClient(base_url=api.base_url, transport=transport, timeout=TIMEOUT)


async def refresh(http: httpx.AsyncClient) -> httpx.Response:
    return await http.post("/api/auth/refresh/", json={"refresh_token": "not-a-real-one"})


async def test_an_address_over_its_limit_stays_429_through_a_burst(api: ApiServer) -> None:
    email = f"owner-{secrets.token_hex(6)}@example.test"
    password = "Correct-Horse-" + secrets.token_hex(4)
    async with client(api, "127.0.0.3", 2) as owner:
        body = {"email": email, "password": password, "full_name": "Own Er", "role": "patient"}
        assert (await owner.post("/api/auth/register/", json=body)).status_code == 201

    async with client(api, "127.0.0.2", BURST) as flood, client(api, "127.0.0.3", 2) as owner:
        spent = Counter(
            r.status_code
            for r in await asyncio.gather(*(refresh(flood) for _ in range(AUTH_LIMIT)))
        )
        assert spent == {401: AUTH_LIMIT}, spent

        flooding = burst(api.port, "127.0.0.2", REFRESH, BURST)
        login = owner.post("/api/auth/login/", json={"email": email, "password": password})
        answers, signed_in = await asyncio.gather(flooding, login)

    statuses = Counter(a.status for a in answers)
    assert statuses == {429: BURST}, statuses
    assert all(int(a.headers["retry-after"]) > 0 for a in answers)
    # Another address signs in meanwhile: no 503 from the same exhaustion.
    assert signed_in.status_code == 200, signed_in.text


async def test_a_burst_from_a_fresh_address_lets_exactly_the_limit_through(api: ApiServer) -> None:
    # Nothing is remembered about this address yet: every request is counted
    # in the store, more at once than the Redis pool has connections.
    answers = await burst(api.port, "127.0.0.4", REFRESH, BURST)

    statuses = Counter(a.status for a in answers)
    assert statuses == {401: AUTH_LIMIT, 429: BURST - AUTH_LIMIT}, statuses
