"""A Redis that refuses writes makes /ready 503, though it still answers PING.

Issue 10: with Redis at its memory limit every enqueue failed with
OutOfMemoryError while /ready stayed 200, because it only sent PING.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from healthrecords.config import Settings
from tests.faults.own_redis import own_redis_server
from tests.faults.processes import ApiServer, settings_env, start_api
from tests.faults.test_database_outage import CLIENT_TIMEOUT, PROBLEM, until_status


@pytest.fixture
def own_redis() -> Iterator[str]:
    with own_redis_server() as url:
        yield url


@pytest.fixture
async def api_on_own_redis(
    own_redis: str, production_settings: Settings, tmp_path: Path
) -> AsyncIterator[ApiServer]:
    env = settings_env(production_settings, redis_url=own_redis)
    server = await start_api(env, tmp_path, ready_path="/ready")
    yield server
    await server.stop()


async def test_ready_is_503_while_redis_is_out_of_memory_and_200_once_it_is_not(
    own_redis: str, api_on_own_redis: ApiServer
) -> None:
    admin = redis.Redis.from_url(own_redis)
    async with httpx.AsyncClient(base_url=api_on_own_redis.base_url, timeout=CLIENT_TIMEOUT) as c:
        assert (await c.get("/ready")).status_code == 200

        admin.config_set("maxmemory-policy", "noeviction")
        admin.config_set("maxmemory", "1")
        assert admin.ping()
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            admin.set("probe", "x")
        full = await c.get("/ready")

        admin.config_set("maxmemory", "0")
        await until_status(c, "/ready", 200)
    admin.close()

    assert full.status_code == 503
    assert full.headers["content-type"].startswith(PROBLEM)
    assert full.json()["unreachable"] == ["redis"]
