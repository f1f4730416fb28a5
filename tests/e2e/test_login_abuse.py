"""Login guessing against a real server process, on both runtime modes.

Requests really run at once here (AsyncTestClient serialises them), each
client speaks from its own loopback address (127.0.0.x), and the server sees
that TCP peer as the client address.
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
from tests.faults.processes import ApiServer, settings_env, start_api

LOGIN = "/api/auth/login/"
TIMEOUT = 60.0
ACCOUNT_CEILING = 20


@pytest.fixture
async def api(settings: Settings, tmp_path: Path) -> AsyncIterator[ApiServer]:
    env = settings_env(
        settings,
        # Its own namespace, so the address counters start empty.
        redis_namespace=f"{settings.redis_namespace}-{secrets.token_hex(4)}",
        login_account_max_failures=str(ACCOUNT_CEILING),
    )
    server = await start_api(env, tmp_path)
    yield server
    await server.stop()


def client(api: ApiServer, address: str, connections: int = 10) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(
        local_address=address, limits=httpx.Limits(max_connections=connections)
    )
    return httpx.AsyncClient(base_url=api.base_url, transport=transport, timeout=TIMEOUT)


async def new_account(api: ApiServer) -> tuple[str, str]:
    email = f"victim-{secrets.token_hex(6)}@example.test"
    password = "Correct-Horse-" + secrets.token_hex(4)
    async with client(api, "127.0.0.1") as http:
        body = {"email": email, "password": password, "full_name": "Vic Tim", "role": "patient"}
        response = await http.post("/api/auth/register/", json=body)
        assert response.status_code == 201, response.text
    return email, password


async def attempt(http: httpx.AsyncClient, email: str, password: str) -> int:
    return (await http.post(LOGIN, json={"email": email, "password": password})).status_code


async def test_concurrent_guesses_verify_at_most_the_limit(api: ApiServer) -> None:
    email, password = await new_account(api)
    async with client(api, "127.0.0.2", connections=41) as http:
        guesses = [attempt(http, email, f"wrong-guess-{i:04d}") for i in range(40)]
        guesses.insert(20, attempt(http, email, password))
        statuses = Counter(await asyncio.gather(*guesses))

    # 10 failures per (account, address) per window: at most 10 verified
    # wrong guesses; every other attempt is refused before verifying.
    assert statuses[401] <= 10, statuses
    assert statuses[401] + statuses[429] + statuses[200] == 41, statuses
    assert statuses[200] <= 1


async def test_an_attacker_is_stopped_and_the_owner_elsewhere_gets_in(api: ApiServer) -> None:
    email, password = await new_account(api)
    async with client(api, "127.0.0.2") as attacker, client(api, "127.0.0.3") as owner:
        wrong = [await attempt(attacker, email, f"wrong-guess-{i}") for i in range(10)]
        assert wrong == [401] * 10
        # Stopped, even with the right password, from that address...
        assert await attempt(attacker, email, password) == 429
        # ...while the owner from another address signs in.
        assert await attempt(owner, email, password) == 200


async def test_over_the_account_ceiling_new_addresses_wait_known_ones_get_in(
    api: ApiServer,
) -> None:
    email, password = await new_account(api)
    async with client(api, "127.0.0.3") as owner:
        assert await attempt(owner, email, password) == 200
    # Two addresses spend 10 failures each: the account's ceiling of 20.
    for address in ("127.0.1.1", "127.0.1.2"):
        async with client(api, address) as attacker:
            for i in range(10):
                assert await attempt(attacker, email, f"wrong-guess-{i}") == 401
    async with client(api, "127.0.1.3") as third, client(api, "127.0.0.3") as owner:
        answer = await third.post(LOGIN, json={"email": email, "password": password})
        assert answer.status_code == 429
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert 0 < int(answer.headers["retry-after"]) <= 3600
        # The owner's known address is still let in.
        assert await attempt(owner, email, password) == 200
