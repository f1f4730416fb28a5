"""One notification WebSocket: the protocol, independent of the ASGI server.

Admission (per-address caps), the first message, the per-user cap, a
subscription proven live, then "ready"; from there OrderedDelivery decides
every notification frame, and this loop relays client messages, pings,
token expiry and account checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar.channels import ChannelsPlugin

from healthrecords.adapters.channels.wire import decode, notification_channel
from healthrecords.domain.errors import InvalidInput, Unavailable
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.services.notifications import NotificationService
from healthrecords.entrypoints.http.sockets.admission import AddressCaps, Admission, Admitted
from healthrecords.entrypoints.http.sockets.delivery import OrderedDelivery
from healthrecords.entrypoints.http.sockets.hello import (
    Authenticate,
    Hello,
    notification_id,
    reauthenticate,
    receive_hello,
)
from healthrecords.entrypoints.http.sockets.limits import Limits, MessageGate, Slots, Timings
from healthrecords.entrypoints.http.sockets.outage import DATABASE
from healthrecords.entrypoints.http.sockets.protocol import (
    CLOSE_BAD_REQUEST,
    CLOSE_INTERNAL,
    CLOSE_POLICY,
    CLOSE_TOO_MANY,
    CLOSE_TRY_LATER,
    CLOSE_UNAUTHORIZED,
    Disconnected,
    SocketClosed,
    Transport,
    error_frame,
    parse,
)
from healthrecords.entrypoints.http.sockets.subscription import (
    Subscription,
    next_event,
    subscribed,
)

log = logging.getLogger(__name__)

AccountActive = Callable[[UUID], Awaitable[bool]]
DEFAULT_TIMINGS = Timings()
DEFAULT_LIMITS = Limits()
DEFAULT_CAPS = AddressCaps()


class NotificationSocket:
    def __init__(
        self,
        transport: Transport,
        *,
        authenticate: Authenticate,
        account_active: AccountActive,
        service: NotificationService,
        channels: ChannelsPlugin,
        namespace: str,
        clock: Clock,
        timings: Timings = DEFAULT_TIMINGS,
        limits: Limits = DEFAULT_LIMITS,
        slots: Slots[UUID] | None = None,
        admission: Admission | None = None,
        address: str = "",
        caps: AddressCaps = DEFAULT_CAPS,
    ) -> None:
        self._t = transport
        self._authenticate = authenticate
        self._account_active = account_active
        self._service = service
        self._channels = channels
        self._namespace = namespace
        self._clock = clock
        self._timings = timings
        self._limits = limits
        self._slots = slots
        self._admission = admission
        self._address = address
        self._caps = caps
        self._user: UUID | None = None
        self._expires_at: datetime | None = None
        self._last_sent = 0.0
        self._account_checked = 0.0
        self._grace_ends = 0.0

    async def run(self) -> None:
        try:
            with self._admitted() as admitted:
                gate = MessageGate(self._limits)
                hello = await receive_hello(
                    self._t, self._authenticate, gate, self._timings.auth_timeout
                )
                if admitted is not None:
                    admitted.authenticated()
                self._user, self._expires_at = hello.claims.subject, hello.claims.expires_at
                with self._user_slot(hello.claims.subject):
                    await self._live(hello, gate)
        except SocketClosed as close:
            await self._close(close.code, close.reason)
        except Unavailable as exc:
            DATABASE.failed(exc)
            await self._close(CLOSE_TRY_LATER, "database unavailable, reconnect and resume")
        except Disconnected:
            pass
        except Exception as exc:
            # Ids and error class only: frames and tokens stay out of logs.
            log.exception("notification socket failed", extra={"error": type(exc).__name__})
            await self._close(CLOSE_INTERNAL, "internal error, reconnect and resume")

    @contextlib.contextmanager
    def _admitted(self) -> Iterator[Admitted | None]:
        if self._admission is None:
            yield None
            return
        with self._admission.admit(self._address, self._caps) as admitted:
            yield admitted

    @contextlib.contextmanager
    def _user_slot(self, user: UUID) -> Iterator[None]:
        if self._slots is None:
            yield
            return
        if not self._slots.take(user, self._limits.sockets_per_user):
            raise SocketClosed(CLOSE_TOO_MANY, "too many sockets for this user")
        try:
            yield
        finally:
            self._slots.give_back(user)

    async def _live(self, hello: Hello, gate: MessageGate) -> None:
        user = self._need_user()
        channel = notification_channel(self._namespace, user)
        async with subscribed(self._channels, channel, self._timings.probe_timeout) as sub:
            resume_seq = None
            if hello.resume is not None:
                try:
                    resume_seq = await self._service.resume_point(user, hello.resume.after)
                except InvalidInput as exc:
                    raise SocketClosed(CLOSE_BAD_REQUEST, exc.detail[:120]) from exc
            delivery = OrderedDelivery(
                user, self._service, self._send, await self._service.last_seq(user)
            )
            DATABASE.succeeded()
            now = asyncio.get_running_loop().time()
            self._account_checked = now
            self._grace_ends = now + self._timings.resume_grace
            await self._send({"type": "ready"})
            if hello.resume is not None:
                await delivery.start(resume_seq)
            for message in sub.early:
                await delivery.on_channel(message)
            await self._serve(sub, delivery, gate)

    async def _serve(self, sub: Subscription, delivery: OrderedDelivery, gate: MessageGate) -> None:
        receiving: asyncio.Task[str] | None = None
        relaying: asyncio.Task[bytes | None] | None = None
        try:
            while True:
                if sub.overflowed:
                    raise SocketClosed(CLOSE_POLICY, "too slow: reconnect and resume")
                if not delivery.positioned and self._until_grace() <= 0:
                    await delivery.start()
                if receiving is None:
                    receiving = asyncio.create_task(self._t.receive_text())
                if relaying is None:
                    relaying = asyncio.create_task(next_event(sub.events))
                waits = [self._until_expiry(), self._until_ping(), self._until_check()]
                if not delivery.positioned:
                    waits.append(self._until_grace())
                done, _ = await asyncio.wait(
                    {receiving, relaying},
                    timeout=max(0.0, min(waits)),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if self._until_expiry() <= 0:
                    raise SocketClosed(CLOSE_UNAUTHORIZED, "token expired")
                if self._until_check() <= 0:
                    await self._check_account()
                if receiving in done:
                    text = receiving.result()
                    receiving = None
                    gate.admit(text)
                    await self._on_client(parse(text), delivery)
                if relaying in done:
                    raw = relaying.result()
                    relaying = None
                    if raw is None:
                        raise SocketClosed(CLOSE_TRY_LATER, "server going away")
                    message = decode(raw)
                    if message is not None:
                        await delivery.on_channel(message)
                if self._until_ping() <= 0:
                    await self._send({"type": "ping"})
        finally:
            for task in (receiving, relaying):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task

    async def _on_client(self, message: dict[str, Any] | None, delivery: OrderedDelivery) -> None:
        kind = message.get("type") if message else None
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "auth":
            claims = await reauthenticate(message, self._authenticate, self._need_user())
            self._expires_at = claims.expires_at
        elif kind == "resume":
            assert message is not None
            await self._resume(message, delivery)
        else:
            await self._send(error_frame("unknown message; expected auth, resume or ping"))

    async def _resume(self, message: dict[str, Any], delivery: OrderedDelivery) -> None:
        try:
            after = notification_id(message.get("after"))
        except ValueError:
            await self._send(error_frame("after must be a notification id"))
            return
        try:
            after_seq = await self._service.resume_point(self._need_user(), after)
        except InvalidInput as exc:
            await self._send(error_frame(exc.detail))
            return
        refused = await delivery.resume(after_seq)
        if refused is not None:
            await self._send(error_frame(refused))

    async def _send(self, frame: dict[str, Any]) -> None:
        data = msgspec.json.encode(frame).decode()
        try:
            async with asyncio.timeout(self._timings.send_timeout):
                await self._t.send_text(data)
        except TimeoutError as exc:
            raise SocketClosed(CLOSE_POLICY, "too slow: reconnect and resume") from exc
        self._last_sent = asyncio.get_running_loop().time()

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._timings.send_timeout):
                await self._t.close(code, reason)

    def _until_expiry(self) -> float:
        if self._expires_at is None:
            return 0.0
        return (self._expires_at - self._clock.now()).total_seconds()

    def _until_grace(self) -> float:
        return self._grace_ends - asyncio.get_running_loop().time()

    def _until_check(self) -> float:
        now = asyncio.get_running_loop().time()
        return self._account_checked + self._timings.account_check_interval - now

    async def _check_account(self) -> None:
        self._account_checked = asyncio.get_running_loop().time()
        if not await self._account_active(self._need_user()):
            raise SocketClosed(CLOSE_UNAUTHORIZED, "account deactivated")

    def _until_ping(self) -> float:
        now = asyncio.get_running_loop().time()
        return self._last_sent + self._timings.ping_interval - now

    def _need_user(self) -> UUID:
        assert self._user is not None, "authenticated before subscribing"
        return self._user
