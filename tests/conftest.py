"""Session-wide servers and a fresh database per test session.

PostgreSQL and Redis come from HEALTHRECORDS_TEST_DATABASE_URL /
HEALTHRECORDS_TEST_REDIS_URL, else from testcontainers (see servers.py).
Each session creates its own database and Redis namespace, so runs never see
each other's data.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from healthrecords.adapters.sqlalchemy import migrate
from healthrecords.adapters.sqlalchemy.engine import create_engine
from healthrecords.config import KeyRing, Settings
from tests import servers

# Every API test speaks from one client address ("testclient"); per-address
# limits this high never trip there. tests/api/test_rate_limits.py builds its
# own app with low limits to test the 429s.
SHARED_CLIENT_LIMITS = {
    "rate_limit_per_minute": 100_000,
    "auth_rate_limit_per_minute": 100_000,
    "password_reset_per_minute": 100_000,
}


def key_ring(prefix: str, count: int = 1) -> KeyRing:
    keys = {f"{prefix}{i}": secrets.token_bytes(32) for i in range(count, 0, -1)}
    return KeyRing(current=next(iter(keys)), keys=keys)


def key_ring_env(ring: KeyRing) -> str:
    return ",".join(
        f"{kid}:{base64.urlsafe_b64encode(key).decode()}" for kid, key in ring.keys.items()
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    with servers.postgres_server_url() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with servers.redis_server_url() as url:
        yield url


@pytest.fixture(scope="session")
async def database_url(postgres_server: str) -> AsyncIterator[str]:
    """A migrated PostgreSQL database of this session's own."""
    url = await servers.create_database(postgres_server)
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    yield url
    await servers.drop_database(postgres_server, url)


@pytest.fixture(scope="session")
def redis_namespace(redis_url: str) -> Iterator[str]:
    namespace = f"hrtest-{secrets.token_hex(4)}"
    yield namespace
    servers.drop_namespace(redis_url, namespace)


@pytest.fixture(scope="session")
def production_settings(
    database_url: str,
    redis_url: str,
    redis_namespace: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        database_url=database_url,
        redis_url=redis_url,
        redis_namespace=redis_namespace,
        db_pool_size=10,
        jwt_keys=key_ring("jwt"),
        encryption_keys=key_ring("enc"),
        **SHARED_CLIENT_LIMITS,
    )


@pytest.fixture(scope="session")
async def embedded_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return await migrated_embedded(tmp_path_factory.mktemp("embedded"))


async def migrated_embedded(data_dir: Path) -> Settings:
    """Embedded-mode settings over a migrated SQLite file in `data_dir`."""
    url = f"sqlite+aiosqlite:///{data_dir / 'healthrecords.db'}"
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    return Settings(
        data_dir=data_dir,
        database_url=url,
        jwt_keys=key_ring("jwt"),
        encryption_keys=key_ring("enc"),
        **SHARED_CLIENT_LIMITS,
    )


@pytest.fixture(scope="session", params=["postgres", "embedded"])
def settings(request: pytest.FixtureRequest) -> Settings:
    """Both runtime modes: PostgreSQL + Redis, and embedded SQLite in-process."""
    name = "production_settings" if request.param == "postgres" else "embedded_settings"
    value: Settings = request.getfixturevalue(name)
    return value
