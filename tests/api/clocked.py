"""An app whose container runs on a clock the test moves (no sleeping)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.entrypoints.http.app import create_app
from tests.clock import MovableClock


@asynccontextmanager
async def clocked_client(
    settings: Settings, clock: MovableClock
) -> AsyncIterator[tuple[AsyncTestClient[Litestar], Container]]:
    container = build_container(settings, clock=clock)
    async with AsyncTestClient(create_app(settings, container)) as client:
        yield client, container
