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
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import msgspec
from litestar.channels import ChannelsPlugin

from healthrecords.adapters.channels.wire import decode, notification_channel
from healthrecords.domain.errors import InvalidInput, Unavailable
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.services.notifications import NotificationService
from healthrecords.entrypoints.http.sockets.account_watch import AccountWatch, Ended
from healthrecords.entrypoints.http.sockets.admission import AddressCaps, Admission, Admitted
from healthrecords.entrypoints.http.sockets.deadlines import Deadlines
from healthrecords.entrypoints.http.sockets.delivery import OrderedDelivery
from healthrecords.entrypoints.http.sockets.hello import (
    Authenticate,
    Hello,
    hello_from,
    notification_id,
    reauthenticate,
    receive_first,
)
from healthrecords.entrypoints.http.sockets.limits import (
    Limits,
    MessageGate,
    SetupLine,
    Slots,
    Timings,
    user_slot,
)
from healthrecords.entrypoints.http.sockets.outage import DATABASE
from healthrecords.entrypoints.http.sockets.protocol import (
    CLOSE_BAD_REQUEST,
    CLOSE_INTERNAL,
    CLOSE_POLICY,
    CLOSE_TRY_LATER,
    CLOSE_UNAUTHORIZED,
    Disconnected,
    SocketClosed,
    Transport,
    error_frame,
    parse,
)
from healthrecords.entrypoints.http.sockets.subscription import Subscription, subscribed

log = logging.getLogger(__name__)

DEFAULT_TIMINGS = Timings()
DEFAULT_LIMITS = Limits()
DEFAULT_CAPS = AddressCaps()
BAD_RESUME_AFTER = "resume_after must be the id of one of your notifications"


class NotificationSocket:
    def __init__(
        self,
        transport: Transport,
        *,
        authenticate: Authenticate,
        watch: AccountWatch,
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
        setup: SetupLine | None = None,
    ) -> None:
        self._t = transport
        self._authenticate = authenticate
        self._watch = watch
        self._service = service
        self._channels = channels
        self._namespace = namespace
        self._timings = timings
        self._limits = limits
        self._slots = slots
        self._admission = admission
        self._address = address
        self._caps = caps
        self._user: UUID | None = None
        self._clocks = Deadlines(clock, timings)
        self._setup = setup or SetupLine(1)

    async def run(self) -> None:
        try:
            with self._admitted() as admitted:
                gate = MessageGate(self._limits)
                first = await receive_first(self._t, gate, self._timings.auth_timeout)
                async with self._setup.turn() as set_up:
                    hello = await hello_from(first, self._authenticate)
                    if admitted is not None:
                        admitted.authenticated()
                    self._user = hello.claims.subject
                    self._clocks.expires_at = hello.claims.expires_at
                    limit = self._limits.sockets_per_user
                    with user_slot(self._slots, hello.claims.subject, limit):
                        await self._live(hello, gate, set_up)
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

    async def _live(self, hello: Hello, gate: MessageGate, set_up: Callable[[], None]) -> None:
        user = self._need_user()
        channel = notification_channel(self._namespace, user)
        async with subscribed(self._channels, channel, self._timings.probe_timeout) as sub:
            resume_seq = None
            if hello.resume is not None:
                try:
                    resume_seq = await self._service.resume_point(user, hello.resume.after)
                except InvalidInput as exc:
                    raise SocketClosed(CLOSE_BAD_REQUEST, BAD_RESUME_AFTER) from exc
            # With a resume point the floor is never used: skip its read.
            floor = 0 if hello.resume is not None else await self._service.last_seq(user)
            delivery = OrderedDelivery(user, self._service, self._send, floor)
            DATABASE.succeeded()
            self._clocks.ready()
            await self._send({"type": "ready"})
            if hello.resume is not None:
                await delivery.start(resume_seq)
            for message in sub.early:
                await delivery.on_channel(message)
            set_up()
            with self._watch.watching(user, self._timings.account_check_interval) as ended:
                await self._serve(sub, delivery, gate, ended)

    async def _serve(
        self, sub: Subscription, delivery: OrderedDelivery, gate: MessageGate, ended: Ended
    ) -> None:
        receiving: asyncio.Task[str] | None = None
        # A future, not a task: an idle socket holds as little as it can.
        arrival: asyncio.Future[None] | None = None
        try:
            while True:
                if sub.overflowed:
                    raise SocketClosed(CLOSE_POLICY, "too slow: reconnect and resume")
                clocks = self._clocks
                if not delivery.positioned and clocks.until_grace() <= 0:
                    await delivery.start()
                if receiving is None:
                    receiving = asyncio.create_task(self._t.receive_text())
                if arrival is None:
                    arrival = sub.subscriber.arrival()
                waits = [clocks.until_expiry(), clocks.until_ping()]
                if not delivery.positioned:
                    waits.append(clocks.until_grace())
                waiting: set[asyncio.Future[Any]] = {receiving, arrival, ended}
                done, _ = await asyncio.wait(
                    waiting,
                    timeout=max(0.0, min(waits)),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if clocks.until_expiry() <= 0:
                    raise SocketClosed(CLOSE_UNAUTHORIZED, "token expired")
                if ended.done():
                    raise ended.result()
                if receiving in done:
                    text = receiving.result()
                    receiving = None
                    gate.admit(text)
                    await self._on_client(parse(text), delivery)
                if arrival in done:
                    arrival = None
                    for raw in sub.subscriber.take():
                        if raw is None:
                            raise SocketClosed(CLOSE_TRY_LATER, "server going away")
                        message = decode(raw)
                        if message is not None:
                            await delivery.on_channel(message)
                if clocks.until_ping() <= 0:
                    await self._send({"type": "ping"})
        finally:
            if arrival is not None:
                arrival.cancel()
            if receiving is not None:
                receiving.cancel()
                with contextlib.suppress(BaseException):
                    await receiving

    async def _on_client(self, message: dict[str, Any] | None, delivery: OrderedDelivery) -> None:
        kind = message.get("type") if message else None
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "auth":
            claims = await reauthenticate(message, self._authenticate, self._need_user())
            self._clocks.expires_at = claims.expires_at
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
        self._clocks.sent()

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._timings.send_timeout):
                await self._t.close(code, reason)

    def _need_user(self) -> UUID:
        assert self._user is not None, "authenticated before subscribing"
        return self._user
