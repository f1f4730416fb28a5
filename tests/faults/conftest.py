"""Fault injection: proxies to cut between the app and PostgreSQL or Redis.

The shared servers are never stopped; each test gets proxies of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from tests.faults.processes import ApiServer, settings_env, start_api
from tests.faults.proxy import TcpProxy, proxy_for


@pytest.fixture
def pg_proxy(postgres_server: str) -> Iterator[TcpProxy]:
    with proxy_for(postgres_server) as proxy:
        yield proxy


@pytest.fixture
def redis_proxy(redis_url: str) -> Iterator[TcpProxy]:
    with proxy_for(redis_url) as proxy:
        yield proxy


@pytest.fixture
async def direct(production_settings: Settings) -> AsyncIterator[Container]:
    """The container of the test itself, straight to PostgreSQL and Redis."""
    container = build_container(production_settings)
    yield container
    await container.aclose()


@pytest.fixture
async def api(
    pg_proxy: TcpProxy, production_settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[ApiServer]:
    """A real API process whose PostgreSQL connections go through `pg_proxy`."""
    env = settings_env(production_settings, database_url=pg_proxy.url_for(database_url))
    server = await start_api(env, tmp_path)
    yield server
    await server.stop()
