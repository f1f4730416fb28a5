"""HTTP and WebSocket tests against the real app, on both runtime modes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, TypeVar

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.app import create_app
from tests.people import SeededUser, seed_user

TestUser = SeededUser
MakeUser = Callable[..., Awaitable[TestUser]]
T = TypeVar("T")


class InAppLoop(Protocol):
    async def __call__(self, fn: Callable[[], Awaitable[T]]) -> T: ...


@pytest.fixture(scope="session")
def container(settings: Settings) -> Container:
    # Closed by the app's lifespan when the session's client shuts down.
    return build_container(settings)


@pytest.fixture(scope="session")
async def app(settings: Settings, container: Container) -> Litestar:
    return create_app(settings, container)


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def in_app_loop(client: AsyncTestClient[Litestar]) -> InAppLoop:
    """Run a coroutine function on the app's event loop.

    AsyncTestClient runs the app in a portal thread with its own loop, and the
    container's database and Redis connections belong to that loop: direct
    container calls from a test must go through here.
    """

    async def run(fn: Callable[[], Awaitable[T]]) -> T:
        return client.blocking_portal.call(fn)

    return run


@pytest.fixture(scope="session")
def make_user(container: Container, in_app_loop: InAppLoop) -> MakeUser:
    """Create an active user straight in the database and mint its access token."""

    async def make(role: Role = Role.PATIENT, full_name: str = "Test Person") -> TestUser:
        return await in_app_loop(lambda: seed_user(container, role, full_name))

    return make
