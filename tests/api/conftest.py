"""HTTP and WebSocket tests against the real app, on both runtime modes."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar
from uuid import UUID, uuid4

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.users import Role, User
from healthrecords.entrypoints.http.app import create_app

# Cheapest parameters argon2 accepts: these users are made directly in the
# database for tests that are not about passwords.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@dataclass(frozen=True)
class TestUser:
    id: UUID
    email: str
    password: str
    role: Role
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


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
        password = secrets.token_urlsafe(16)
        now = datetime.now(UTC)
        user = User(
            id=uuid4(),
            email=f"{role.value}-{secrets.token_hex(6)}@example.test",
            full_name=full_name,
            role=role,
            is_active=True,
            password_hash=_FAST_HASHER.hash(password),
            created_at=now,
            updated_at=now,
        )

        async def store() -> None:
            async with container.uow() as uow:
                await uow.users.add(user)
                await uow.commit()

        await in_app_loop(store)
        token, _ = container.access_tokens.issue(user.id, role)
        return TestUser(user.id, user.email, password, role, token)

    return make
