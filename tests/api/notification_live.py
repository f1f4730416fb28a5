"""A real server (uvicorn, on the test's own loop) for WebSocket tests.

The AsyncTestClient runs the app on another thread's loop; a WebSocket test
wants real sockets and real back-pressure, and wants its own writes on the
same loop as the app. In production mode an in-process SAQ worker delivers.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import msgspec
import uvicorn
from argon2 import PasswordHasher
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.tokens import RefreshTokenFamily
from healthrecords.domain.users import Role, User
from healthrecords.entrypoints.http.app import create_app
from healthrecords.entrypoints.server import WS_PROTOCOL
from healthrecords.entrypoints.worker.settings import build_worker
from tests.clock import MovableClock

DEADLINE = 10.0
PATH = "/api/ws/notifications/"
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class _InLoopServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class LiveUser:
    id: UUID
    role: Role
    token: str


@dataclass
class LiveServer:
    container: Container
    clock: MovableClock
    port: int
    _sessions: dict[UUID, UUID] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{PATH}"

    async def user(self, role: Role = Role.DOCTOR) -> LiveUser:
        now = self.clock.now()
        user = User(
            id=uuid4(),
            email=f"{role.value}-{secrets.token_hex(6)}@example.test",
            full_name="Socket Tester",
            role=role,
            is_active=True,
            password_hash=_FAST_HASHER.hash("x"),
            created_at=now,
            updated_at=now,
            # As tests/people.py: roles that must use two-factor have it on.
            two_factor=role.value in self.container.settings.mfa_required_roles,
        )
        # The session its tokens are minted under (see tests/people.py).
        session = RefreshTokenFamily(id=uuid4(), user_id=user.id, created_at=now)
        async with self.container.uow() as uow:
            await uow.users.add(user)
            await uow.refresh_tokens.add_family(session)
            await uow.commit()
        self._sessions[user.id] = session.id
        return LiveUser(user.id, role, self.token(user.id, role))

    def session_of(self, user: LiveUser) -> UUID:
        return self._sessions[user.id]

    def token(self, user_id: UUID, role: Role) -> str:
        return self.container.access_tokens.issue(user_id, role, self._sessions[user_id])[0]

    async def notify(self, recipient: UUID, count: int = 1) -> list[UUID]:
        """Write notifications and hand them to delivery, as the records services do."""
        ids = []
        for i in range(count):
            async with self.container.uow() as uow:
                note = await uow.notifications.add(
                    recipient,
                    NotificationKind.ANNOTATION_CREATED,
                    {"annotation_id": str(uuid4()), "n": str(i)},
                    self.clock.now(),
                )
                await uow.commit()
            await self.container.notification_queue.enqueue([note.id])
            ids.append(note.id)
        return ids

    @contextlib.asynccontextmanager
    async def socket(
        self, user: LiveUser | None = None, *, headers: dict[str, str] | None = None
    ) -> AsyncIterator[ClientConnection]:
        """A connected socket; with a user, authenticated and past "ready"."""
        async with connect(self.url, additional_headers=headers, open_timeout=DEADLINE) as ws:
            if user is not None:
                await send(ws, {"type": "auth", "token": user.token})
                assert await recv(ws) == {"type": "ready"}
            yield ws


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(msgspec.json.encode(message).decode())


async def recv(ws: ClientConnection, deadline: float = DEADLINE) -> dict[str, Any]:
    """The next frame that is not a keep-alive ping."""
    while True:
        frame: dict[str, Any] = msgspec.json.decode(await asyncio.wait_for(ws.recv(), deadline))
        if frame.get("type") != "ping":
            return frame


async def notifications(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    frames = [await recv(ws) for _ in range(count)]
    assert all(f["type"] == "notification" for f in frames), frames
    return frames


async def closed_with(ws: ClientConnection, deadline: float = DEADLINE) -> int | None:
    """Read until the server closes; the close code it sent."""
    end = time.monotonic() + deadline
    try:
        while time.monotonic() < end:
            await asyncio.wait_for(ws.recv(), end - time.monotonic())
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    raise AssertionError("the server did not close the socket")


async def nothing_more(ws: ClientConnection) -> None:
    """No frame is pending: a ping round trip comes back first."""
    await send(ws, {"type": "ping"})
    assert await recv(ws) == {"type": "pong"}


@contextlib.asynccontextmanager
async def live_server(
    settings: Settings, clock: MovableClock | None = None
) -> AsyncIterator[LiveServer]:
    clock = clock or MovableClock(datetime.now(UTC))
    container = build_container(settings, clock=clock)
    app = create_app(settings, container)
    server = _InLoopServer(
        # The WebSocket protocol `healthrecords serve` runs.
        uvicorn.Config(
            app, host="127.0.0.1", port=0, log_config=None, lifespan="on", ws=WS_PROTOCOL
        )
    )
    serving = asyncio.create_task(server.serve())
    worker_task = None
    worker_container = None
    try:
        end = time.monotonic() + DEADLINE
        while not server.started:
            assert not serving.done(), "the test server failed to start"
            assert time.monotonic() < end, "the test server did not start"
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        if settings.redis_url:
            # A worker of its own, as a separate process would have.
            worker_container = build_container(settings, clock=clock)
            worker = build_worker(worker_container, handle_signals=False, grace_period=0)
            assert worker_container.saq_queue is not None
            await worker_container.saq_queue.connect()
            worker_task = asyncio.create_task(worker.start())
        yield LiveServer(container, clock, port)
    finally:
        if worker_task is not None:
            worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker_task
        if worker_container is not None:
            await worker_container.aclose()
        server.should_exit = True
        await asyncio.wait_for(serving, DEADLINE)
