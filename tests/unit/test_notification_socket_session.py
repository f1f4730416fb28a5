"""The socket protocol with a fake transport: order, gaps, resync, slow clients."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

from healthrecords.adapters.channels.publisher import ChannelsNotificationPublisher
from healthrecords.adapters.channels.subscriber import BoundedSubscriber
from healthrecords.adapters.channels.wire import RESYNC, notification_channel
from healthrecords.domain.ports.security import AccessClaims
from healthrecords.domain.services.notifications import NotificationService
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.sockets.account_watch import AccountWatch
from healthrecords.entrypoints.http.sockets.limits import SetupLine, Timings
from healthrecords.entrypoints.http.sockets.protocol import Disconnected
from healthrecords.entrypoints.http.sockets.session import NotificationSocket
from tests.unit.notifications_world import NotificationsWorld

DEADLINE = 5.0
NAMESPACE = "unit"
SESSION = uuid4()


@dataclass
class FakeTransport:
    incoming: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    sent: list[dict[str, Any]] = field(default_factory=list)
    closed: tuple[int, str] | None = None
    stall_after: int | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def receive_text(self) -> str:
        text = await self.incoming.get()
        if text is None:
            raise Disconnected
        return text

    async def send_text(self, data: str) -> None:
        if self.stall_after is not None and len(self.sent) >= self.stall_after:
            await asyncio.Event().wait()  # a client that stopped reading
        self.sent.append(msgspec.json.decode(data))
        self.changed.set()

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)
        self.changed.set()

    def say(self, message: dict[str, Any]) -> None:
        self.incoming.put_nowait(msgspec.json.encode(message).decode())

    def notifications(self) -> list[str]:
        return [f["id"] for f in self.sent if f["type"] == "notification"]

    async def until(self, condition: Any) -> None:
        end = time.monotonic() + DEADLINE
        while not condition():
            assert time.monotonic() < end, f"condition not met; sent={self.sent}"
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), end - time.monotonic())
            except TimeoutError:
                continue


@dataclass
class Harness:
    world: NotificationsWorld
    plugin: ChannelsPlugin
    backend: MemoryChannelsBackend
    user: UUID

    @property
    def service(self) -> NotificationService:
        publisher = ChannelsNotificationPublisher(self.backend, NAMESPACE)
        return NotificationService(self.world.uow, self.world.clock, publisher, self.world.queue)

    @asynccontextmanager
    async def socket(self, **timings: float) -> AsyncIterator[FakeTransport]:
        transport = FakeTransport()
        clock = self.world.clock

        async def authenticate(token: str) -> AccessClaims:
            now = clock.now()
            return AccessClaims(
                subject=self.user,
                role=Role.DOCTOR,
                session_id=SESSION,
                token_id=token,
                issued_at=now,
                expires_at=now + timedelta(minutes=5),
            )

        session = NotificationSocket(
            transport,
            authenticate=authenticate,
            watch=_always_active(),
            service=self.service,
            channels=self.plugin,
            namespace=NAMESPACE,
            clock=clock,
            timings=Timings(**timings),
        )
        running = asyncio.create_task(session.run())
        transport.say({"type": "auth", "token": "t"})
        await transport.until(lambda: {"type": "ready"} in transport.sent)
        try:
            yield transport
        finally:
            transport.incoming.put_nowait(None)
            await asyncio.wait_for(running, DEADLINE)


@asynccontextmanager
async def harness(backlog: int = 256) -> AsyncIterator[Harness]:
    backend = MemoryChannelsBackend()
    plugin = ChannelsPlugin(
        backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=backlog,
        subscriber_class=BoundedSubscriber,
    )
    async with plugin:
        yield Harness(NotificationsWorld(), plugin, backend, uuid4())


async def test_out_of_order_deliveries_reach_the_socket_in_order_once() -> None:
    async with harness() as h, h.socket() as ws:
        first, second, third = await h.world.notify(h.user, 3)
        for note in (third, first, second):
            await h.service.deliver(note.id)
        await ws.until(lambda: len(ws.notifications()) == 3)
        ws.say({"type": "ping"})
        await ws.until(lambda: ws.sent[-1] == {"type": "pong"})
    assert ws.notifications() == [str(first.id), str(second.id), str(third.id)]


async def test_resync_reads_back_what_pubsub_lost() -> None:
    async with harness() as h, h.socket() as ws:
        lost = await h.world.notify(h.user, 2)  # committed, never published
        await h.backend.publish(RESYNC, [notification_channel(NAMESPACE, h.user)])
        await ws.until(lambda: len(ws.notifications()) == 2)
    assert ws.notifications() == [str(n.id) for n in lost]


async def test_a_client_that_stops_reading_is_closed_not_buffered() -> None:
    async with harness(backlog=4) as h, h.socket(send_timeout=0.5) as ws:
        ws.stall_after = len(ws.sent)
        for note in await h.world.notify(h.user, 50):
            await h.service.deliver(note.id)
        await ws.until(lambda: ws.closed is not None)
        assert ws.closed is not None
        assert ws.closed[0] == 1008
        subscribers = [s for subs in h.plugin._channels.values() for s in subs]
        assert all(s.qsize <= 4 for s in subscribers)


async def test_a_closed_socket_leaves_no_channel_behind() -> None:
    async with harness() as h:
        async with h.socket():
            assert notification_channel(NAMESPACE, h.user) in h.plugin._channels
        assert notification_channel(NAMESPACE, h.user) not in h.plugin._channels


class FlakyBackend(MemoryChannelsBackend):
    """Fails the first SUBSCRIBE, as Redis does while it is away."""

    failures = 1

    async def subscribe(self, channels: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("redis is down")
        await super().subscribe(channels)


async def test_a_failed_subscribe_closes_1013_and_the_next_socket_works() -> None:
    backend = FlakyBackend()
    plugin = ChannelsPlugin(
        backend, arbitrary_channels_allowed=True, subscriber_class=BoundedSubscriber
    )
    async with plugin:
        h = Harness(NotificationsWorld(), plugin, backend, uuid4())
        transport = FakeTransport()
        session = NotificationSocket(
            transport,
            authenticate=lambda token: _claims(h),
            watch=_always_active(),
            service=h.service,
            channels=plugin,
            namespace=NAMESPACE,
            clock=h.world.clock,
        )
        transport.say({"type": "auth", "token": "t"})
        await asyncio.wait_for(session.run(), DEADLINE)
        assert transport.closed is not None
        assert transport.closed[0] == 1013
        assert notification_channel(NAMESPACE, h.user) not in plugin._channels
        async with h.socket() as ws:
            (note,) = await h.world.notify(h.user)
            await h.service.deliver(note.id)
            await ws.until(lambda: ws.notifications() == [str(note.id)])


async def _claims(h: Harness) -> AccessClaims:
    now = h.world.clock.now()
    return AccessClaims(
        subject=h.user,
        role=Role.DOCTOR,
        session_id=SESSION,
        token_id="t",
        issued_at=now,
        expires_at=now + timedelta(minutes=5),
    )


def _always_active() -> AccountWatch:
    """A watch that finds every account active and every session live."""

    async def alive(sessions: Collection[tuple[UUID, UUID]]) -> Collection[tuple[UUID, UUID]]:
        return sessions

    return AccountWatch(alive)


async def test_a_socket_that_waits_too_long_to_be_set_up_closes_1013() -> None:
    line = SetupLine(1, wait=0.05)
    async with harness() as h, line.turn():
        transport = FakeTransport()
        session = NotificationSocket(
            transport,
            authenticate=lambda token: _claims(h),
            watch=_always_active(),
            service=h.service,
            channels=h.plugin,
            namespace=NAMESPACE,
            clock=h.world.clock,
            setup=line,
        )
        transport.say({"type": "auth", "token": "t"})
        await asyncio.wait_for(session.run(), DEADLINE)
    assert transport.closed is not None
    assert transport.closed[0] == 1013
    assert transport.sent == []
