"""One notification WebSocket: the protocol, independent of the ASGI server.

Admission (per-address caps), the first message, the per-user cap, a
subscription proven live, then "ready"; from there OrderedDelivery decides
every notification frame, and ReadySocket (serving.py) relays client
messages, pings, token expiry and the account watch's verdict.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

import msgspec
from litestar.channels import ChannelsPlugin

from healthrecords.adapters.channels.wire import notification_channel
from healthrecords.domain.errors import InvalidInput, Unavailable
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.services.notifications import NotificationService
from healthrecords.entrypoints.http.sockets.account_watch import AccountWatch
from healthrecords.entrypoints.http.sockets.admission import AddressCaps, Admission
from healthrecords.entrypoints.http.sockets.deadlines import Deadlines
from healthrecords.entrypoints.http.sockets.delivery import OrderedDelivery
from healthrecords.entrypoints.http.sockets.hello import (
    Authenticate,
    Hello,
    hello_from,
    receive_first,
)
from healthrecords.entrypoints.http.sockets.limits import (
    Limits,
    MessageGate,
    SetupLine,
    Slots,
    Timings,
    UserSlot,
)
from healthrecords.entrypoints.http.sockets.outage import DATABASE
from healthrecords.entrypoints.http.sockets.protocol import (
    CLOSE_BAD_REQUEST,
    CLOSE_INTERNAL,
    CLOSE_POLICY,
    CLOSE_TRY_LATER,
    Disconnected,
    SocketClosed,
    Transport,
)
from healthrecords.entrypoints.http.sockets.serving import ReadySocket
from healthrecords.entrypoints.http.sockets.subscription import subscribed

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
            admission = (
                self._admission.admit(self._address, self._caps)
                if self._admission is not None
                else None
            )
            with admission or contextlib.nullcontext():
                gate = MessageGate(self._limits)
                first = await receive_first(self._t, gate, self._timings.auth_timeout)
                async with self._setup.turn() as set_up:
                    hello = await hello_from(first, self._authenticate)
                    if admission is not None:
                        admission.authenticated()
                    self._user = hello.claims.subject
                    self._clocks.expires_at = hello.claims.expires_at
                    limit = self._limits.sockets_per_user
                    with UserSlot(self._slots, hello.claims.subject, limit):
                        await self._live(hello, gate, set_up.release)
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
            ready = ReadySocket(
                self._t,
                self._send,
                clocks=self._clocks,
                authenticate=self._authenticate,
                service=self._service,
                user=user,
                gate=gate,
            )
            session = hello.claims.session_id
            interval = self._timings.account_check_interval
            with self._watch.watching(user, session, interval) as watching:
                await ready.serve(sub, delivery, watching)

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
