"""Fault injection: proxies to cut between the app and PostgreSQL or Redis.

The shared servers are never stopped; each test gets proxies of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.proxy import TcpProxy, proxy_for


@pytest.fixture
def pg_proxy(postgres_server: str) -> Iterator[TcpProxy]:
    with proxy_for(postgres_server) as proxy:
        yield proxy


@pytest.fixture
def redis_proxy(redis_url: str) -> Iterator[TcpProxy]:
    with proxy_for(redis_url) as proxy:
        yield proxy
