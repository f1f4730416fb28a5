"""One notification WebSocket: the protocol, independent of the ASGI server.

Per socket the server keeps two numbers of the recipient's `seq`:
`cursor`, the highest sent, and `floor`, below which nothing was sent yet.
At "ready" both are the last committed seq. Live messages at `cursor + 1` go
straight out; a higher one means one was missed (out-of-order workers, a
Redis blip), so the gap is read from the database first; lower ones are
duplicates and are dropped. `resume` replays (after, floor] from the
database. So every notification goes out at most once per socket, and from
"ready" on in seq order without gaps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import msgspec
from litestar.channels import ChannelsPlugin

from healthrecords.adapters.channels.subscriber import BoundedSubscriber
from healthrecords.adapters.channels.wire import (
    Live,
    Message,
    Probe,
    Resync,
    client_frame,
    decode,
    encode_probe,
    notification_channel,
)
from healthrecords.domain.errors import AuthenticationFailed, InvalidInput
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.security import AccessClaims
from healthrecords.domain.services.notifications import REPLAY_BATCH, NotificationService

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_POLICY = 1008
CLOSE_INTERNAL = 1011
CLOSE_TRY_LATER = 1013
CLOSE_TOO_BIG = 1009
CLOSE_TOO_MANY = 4429

Authenticate = Callable[[str], Awaitable[AccessClaims]]
AccountActive = Callable[[UUID], Awaitable[bool]]


class Disconnected(Exception):
    """The client went away."""


class Transport(Protocol):
    async def receive_text(self) -> str:
        """Raises Disconnected when the client is gone."""
        ...

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Timings:
    auth_timeout: float = 10.0
    ping_interval: float = 25.0
    send_timeout: float = 10.0
    probe_timeout: float = 5.0
    # A deactivated account loses its open sockets within this bound.
    account_check_interval: float = 5.0


@dataclass(frozen=True, slots=True)
class Limits:
    """What one client may make a socket do. Clients send a handful of small
    messages (auth, resume, ping); these bounds are far above that."""

    max_message_chars: int = 4096
    burst: int = 20
    per_second: float = 5.0
    sockets_per_user: int = 5


class SocketSlots:
    """Open sockets per user in this process (each replica bounds its own)."""

    def __init__(self) -> None:
        self._open: dict[UUID, int] = {}

    def take(self, user: UUID, limit: int) -> bool:
        if self._open.get(user, 0) >= limit:
            return False
        self._open[user] = self._open.get(user, 0) + 1
        return True

    def give_back(self, user: UUID) -> None:
        left = self._open.get(user, 0) - 1
        if left > 0:
            self._open[user] = left
        else:
            self._open.pop(user, None)


class _Bucket:
    """Token bucket on the loop's clock: `burst` at once, `per_second` sustained."""

    def __init__(self, burst: int, per_second: float) -> None:
        self._burst = float(burst)
        self._rate = per_second
        self._tokens = float(burst)
        self._at = asyncio.get_running_loop().time()

    def take(self) -> bool:
        now = asyncio.get_running_loop().time()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _error(detail: str) -> dict[str, Any]:
    return {"type": "error", "detail": detail}


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
        timings: Timings = Timings(),
        limits: Limits = Limits(),
        slots: SocketSlots | None = None,
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
        self._holds_slot = False
        self._bucket: _Bucket | None = None
        self._user: UUID | None = None
        self._expires_at: datetime | None = None
        self._cursor = 0
        self._floor = 0
        self._last_sent = 0.0
        self._account_checked = 0.0

    async def run(self) -> None:
        try:
            claims = await self._first_auth()
            self._user, self._expires_at = claims.subject, claims.expires_at
            self._take_slot(claims.subject)
            await self._subscribed(notification_channel(self._namespace, claims.subject))
        except _Close as close:
            await self._close(close.code, close.reason)
        except Disconnected:
            pass
        except Exception as exc:
            # Ids and error class only: frames and tokens stay out of logs.
            log.exception("notification socket failed", extra={"error": type(exc).__name__})
            await self._close(CLOSE_INTERNAL, "internal error, reconnect and resume")
        finally:
            if self._holds_slot and self._slots is not None and self._user is not None:
                self._slots.give_back(self._user)

    def _take_slot(self, user: UUID) -> None:
        if self._slots is None:
            return
        if not self._slots.take(user, self._limits.sockets_per_user):
            raise _Close(CLOSE_TOO_MANY, "too many sockets for this user")
        self._holds_slot = True

    def _admit(self, text: str) -> None:
        """Close the socket on a message too big, or on too many too fast."""
        if len(text) > self._limits.max_message_chars:
            raise _Close(CLOSE_TOO_BIG, "message too big")
        if self._bucket is None:
            self._bucket = _Bucket(self._limits.burst, self._limits.per_second)
        if not self._bucket.take():
            raise _Close(CLOSE_TOO_MANY, "too many messages, slow down")

    async def _first_auth(self) -> AccessClaims:
        try:
            async with asyncio.timeout(self._timings.auth_timeout):
                text = await self._t.receive_text()
        except TimeoutError as exc:
            raise _Close(CLOSE_UNAUTHORIZED, "authenticate within 10 seconds") from exc
        self._admit(text)
        message = self._parse(text)
        token = message.get("token") if message and message.get("type") == "auth" else None
        if not isinstance(token, str):
            raise _Close(CLOSE_UNAUTHORIZED, "the first message must be auth")
        try:
            return await self._authenticate(token)
        except AuthenticationFailed as exc:
            raise _Close(CLOSE_UNAUTHORIZED, "invalid or expired token") from exc

    async def _subscribed(self, channel: str) -> None:
        known: dict[str, set[Any]] = self._channels._channels
        before = set(known.get(channel, ()))
        try:
            subscriber = await self._channels.subscribe(channel)
        except Exception as exc:
            log.warning("cannot subscribe a socket", extra={"error": type(exc).__name__})
            # The plugin registers the subscriber before asking Redis; left
            # there, it would make the channel look subscribed for good.
            for stray in set(known.get(channel, ())) - before:
                with contextlib.suppress(Exception):
                    await self._channels.unsubscribe(stray, channel)
            if not known.get(channel, True):
                known.pop(channel, None)
            raise _Close(CLOSE_TRY_LATER, "notifications unavailable, retry") from exc
        events = subscriber.iter_events()
        try:
            pending = await self._until_live(channel, events)
            self._cursor = self._floor = await self._service.last_seq(self._need_user())
            self._account_checked = asyncio.get_running_loop().time()
            await self._send({"type": "ready"})
            for message in pending:
                await self._on_channel(message)
            await self._serve(subscriber, events)
        finally:
            await events.aclose()
            with contextlib.suppress(Exception):
                await self._channels.unsubscribe(subscriber, channel)
            # The plugin keeps an empty entry per channel ever used; one per
            # user who ever connected would grow without bound.
            if not known.get(channel, True):
                known.pop(channel, None)

    async def _until_live(self, channel: str, events: AsyncGenerator[bytes, None]) -> list[Message]:
        """Publish a probe to our own channel and wait for it: once it is back,
        the subscription is live (a bare SUBSCRIBE is not acknowledged)."""
        token = secrets.token_hex(8)
        pending: list[Message] = []
        try:
            async with asyncio.timeout(self._timings.probe_timeout):
                await self._channels.wait_published(encode_probe(token), channel)
                async for raw in events:
                    message = decode(raw)
                    if isinstance(message, Probe):
                        if message.token == token:
                            return pending
                    elif message is not None:
                        pending.append(message)
        except Exception as exc:
            log.warning("socket subscription not live", extra={"error": type(exc).__name__})
        raise _Close(CLOSE_TRY_LATER, "notifications unavailable, retry")

    async def _serve(self, subscriber: Any, events: AsyncGenerator[bytes, None]) -> None:
        receiving: asyncio.Task[str] | None = None
        relaying: asyncio.Task[bytes | None] | None = None
        try:
            while True:
                if isinstance(subscriber, BoundedSubscriber) and subscriber.overflowed:
                    raise _Close(CLOSE_POLICY, "too slow: reconnect and resume")
                if receiving is None:
                    receiving = asyncio.create_task(self._t.receive_text())
                if relaying is None:
                    relaying = asyncio.create_task(_next(events))
                done, _ = await asyncio.wait(
                    {receiving, relaying},
                    timeout=max(
                        0.0,
                        min(self._until_expiry(), self._until_ping(), self._until_check()),
                    ),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if self._until_expiry() <= 0:
                    raise _Close(CLOSE_UNAUTHORIZED, "token expired")
                if self._until_check() <= 0:
                    await self._check_account()
                if receiving in done:
                    text = receiving.result()
                    receiving = None
                    await self._on_client(text)
                if relaying in done:
                    raw = relaying.result()
                    relaying = None
                    if raw is None:
                        raise _Close(CLOSE_TRY_LATER, "server going away")
                    message = decode(raw)
                    if message is not None:
                        await self._on_channel(message)
                if self._until_ping() <= 0:
                    await self._send({"type": "ping"})
        finally:
            for task in (receiving, relaying):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task

    async def _on_client(self, text: str) -> None:
        self._admit(text)
        message = self._parse(text)
        kind = message.get("type") if message else None
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "auth":
            await self._reauthenticate(message)
        elif kind == "resume":
            await self._resume(message)
        else:
            await self._send(_error("unknown message; expected auth, resume or ping"))

    async def _reauthenticate(self, message: dict[str, Any] | None) -> None:
        token = message.get("token") if message else None
        if not isinstance(token, str):
            raise _Close(CLOSE_UNAUTHORIZED, "invalid token")
        try:
            claims = await self._authenticate(token)
        except AuthenticationFailed as exc:
            raise _Close(CLOSE_UNAUTHORIZED, "invalid or expired token") from exc
        if claims.subject != self._user:
            raise _Close(CLOSE_UNAUTHORIZED, "token of another user")
        self._expires_at = claims.expires_at

    async def _resume(self, message: dict[str, Any] | None) -> None:
        raw = message.get("after") if message else None
        try:
            after = UUID(raw) if raw is not None else None
        except (TypeError, ValueError, AttributeError):
            await self._send(_error("after must be a notification id"))
            return
        try:
            after_seq = await self._service.resume_point(self._need_user(), after)
        except InvalidInput as exc:
            await self._send(_error(exc.detail))
            return
        # (after, floor] was never sent on this socket; above floor it was.
        position = after_seq
        while position < self._floor:
            batch = await self._service.replay(self._need_user(), position)
            for notification in batch:
                if notification.seq > self._floor:
                    break
                await self._send(client_frame(notification))
                position = notification.seq
            if len(batch) < REPLAY_BATCH or position >= self._floor:
                break
        self._floor = min(self._floor, after_seq)
        await self._catch_up()

    async def _on_channel(self, message: Message) -> None:
        if isinstance(message, Live):
            if message.seq <= self._cursor:
                return
            if message.seq == self._cursor + 1:
                await self._send(message.frame)
                self._cursor = message.seq
                return
        if isinstance(message, Live | Resync):
            await self._catch_up()

    async def _catch_up(self) -> None:
        """Send what the database holds beyond the cursor, in seq order."""
        while True:
            batch = await self._service.replay(self._need_user(), self._cursor)
            for notification in batch:
                await self._send(client_frame(notification))
                self._cursor = notification.seq
            if len(batch) < REPLAY_BATCH:
                return

    async def _send(self, frame: dict[str, Any]) -> None:
        data = msgspec.json.encode(frame).decode()
        try:
            async with asyncio.timeout(self._timings.send_timeout):
                await self._t.send_text(data)
        except TimeoutError as exc:
            raise _Close(CLOSE_POLICY, "too slow: reconnect and resume") from exc
        self._last_sent = asyncio.get_running_loop().time()

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._timings.send_timeout):
                await self._t.close(code, reason)

    def _until_expiry(self) -> float:
        if self._expires_at is None:
            return 0.0
        return (self._expires_at - self._clock.now()).total_seconds()

    def _until_check(self) -> float:
        now = asyncio.get_running_loop().time()
        return self._account_checked + self._timings.account_check_interval - now

    async def _check_account(self) -> None:
        self._account_checked = asyncio.get_running_loop().time()
        if not await self._account_active(self._need_user()):
            raise _Close(CLOSE_UNAUTHORIZED, "account deactivated")

    def _until_ping(self) -> float:
        now = asyncio.get_running_loop().time()
        return self._last_sent + self._timings.ping_interval - now

    def _need_user(self) -> UUID:
        assert self._user is not None, "authenticated before subscribing"
        return self._user

    @staticmethod
    def _parse(text: str) -> dict[str, Any] | None:
        try:
            data = msgspec.json.decode(text)
        except (msgspec.DecodeError, RecursionError):
            # Deep nesting fits in 4 KiB; it is bad input, not a server error.
            return None
        return data if isinstance(data, dict) else None


async def _next(events: AsyncGenerator[bytes, None]) -> bytes | None:
    try:
        return await anext(events)
    except StopAsyncIteration:
        return None
