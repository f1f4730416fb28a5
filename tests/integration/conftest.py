"""The record reads' paths as fixtures (see read_paths.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from healthrecords.adapters.sqlalchemy import migrate
from healthrecords.adapters.sqlalchemy.engine import create_engine
from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from tests import servers
from tests.integration.read_paths import POSTGRES_READ_PATHS, READ_PATHS, read_path_settings


@pytest.fixture(scope="module", params=READ_PATHS)
def any_read_path_settings(request: pytest.FixtureRequest) -> Settings:
    return read_path_settings(request, request.param)


@pytest.fixture(scope="module", params=POSTGRES_READ_PATHS)
def postgres_read_path_settings(request: pytest.FixtureRequest) -> Settings:
    return read_path_settings(request, request.param)


@pytest.fixture(scope="module")
async def read_path(any_read_path_settings: Settings) -> AsyncIterator[Container]:
    made = build_container(any_read_path_settings)
    yield made
    await made.aclose()


@pytest.fixture(scope="module")
async def postgres_read_path(postgres_read_path_settings: Settings) -> AsyncIterator[Container]:
    made = build_container(postgres_read_path_settings)
    yield made
    await made.aclose()


@pytest.fixture
async def fresh_settings(
    settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Settings]:
    """An empty migrated database: rotation rewrites every row it finds."""
    if settings.embedded:
        url = f"sqlite+aiosqlite:///{tmp_path / 'rotate.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = await servers.create_database(server)
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    yield dataclasses.replace(settings, database_url=url, redis_url=None)
    if not settings.embedded:
        await servers.drop_database(request.getfixturevalue("postgres_server"), url)
