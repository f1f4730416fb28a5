"""A notification socket past "ready": client messages, channel messages,
pings, token expiry and the account watch's verdict, one at a time."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from uuid import UUID

from healthrecords.adapters.channels.wire import decode
from healthrecords.domain.errors import InvalidInput
from healthrecords.domain.services.notifications import NotificationService
from healthrecords.entrypoints.http.sockets.account_watch import Watching
from healthrecords.entrypoints.http.sockets.deadlines import Deadlines
from healthrecords.entrypoints.http.sockets.delivery import OrderedDelivery, Send
from healthrecords.entrypoints.http.sockets.hello import (
    Authenticate,
    notification_id,
    reauthenticate,
)
from healthrecords.entrypoints.http.sockets.limits import MessageGate
from healthrecords.entrypoints.http.sockets.protocol import (
    CLOSE_POLICY,
    CLOSE_TRY_LATER,
    CLOSE_UNAUTHORIZED,
    SocketClosed,
    Transport,
    error_frame,
    parse,
)
from healthrecords.entrypoints.http.sockets.subscription import Subscription


class ReadySocket:
    def __init__(
        self,
        transport: Transport,
        send: Send,
        *,
        clocks: Deadlines,
        authenticate: Authenticate,
        service: NotificationService,
        user: UUID,
        gate: MessageGate,
    ) -> None:
        self._t = transport
        self._send = send
        self._clocks = clocks
        self._authenticate = authenticate
        self._service = service
        self._user = user
        self._gate = gate

    async def serve(self, sub: Subscription, delivery: OrderedDelivery, watch: Watching) -> None:
        self._watch = watch
        ended = watch.ended
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
                    self._gate.admit(text)
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
            claims = await reauthenticate(message, self._authenticate, self._user)
            self._clocks.expires_at = claims.expires_at
            # A fresh token may come from another of the user's sessions: the
            # socket then lives as long as that one.
            self._watch.move_to(claims.session_id)
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
            after_seq = await self._service.resume_point(self._user, after)
        except InvalidInput as exc:
            await self._send(error_frame(exc.detail))
            return
        refused = await delivery.resume(after_seq)
        if refused is not None:
            await self._send(error_frame(refused))
