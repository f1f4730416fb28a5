"""The record reads' paths as fixtures (see read_paths.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
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
