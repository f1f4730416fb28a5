"""The first message: who the client is and, optionally, where it resumes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from healthrecords.domain.errors import AuthenticationFailed
from healthrecords.domain.ports.security import AccessClaims
from healthrecords.entrypoints.http.sockets.limits import MessageGate
from healthrecords.entrypoints.http.sockets.protocol import (
    CLOSE_BAD_REQUEST,
    CLOSE_UNAUTHORIZED,
    SocketClosed,
    Transport,
    parse,
)

Authenticate = Callable[[str], Awaitable[AccessClaims]]


@dataclass(frozen=True, slots=True)
class ResumeFrom:
    """After this notification id; None for everything the recipient has."""

    after: UUID | None


@dataclass(frozen=True, slots=True)
class Hello:
    claims: AccessClaims
    # None when the client did not say (it may send a `resume` message).
    resume: ResumeFrom | None


async def receive_first(transport: Transport, gate: MessageGate, within: float) -> dict[str, Any]:
    """The first message, which must be an auth, within the deadline."""
    try:
        async with asyncio.timeout(within):
            text = await transport.receive_text()
    except TimeoutError as exc:
        raise SocketClosed(CLOSE_UNAUTHORIZED, f"authenticate within {within:g} seconds") from exc
    gate.admit(text)
    message = parse(text)
    if message is None or message.get("type") != "auth":
        raise SocketClosed(CLOSE_UNAUTHORIZED, "the first message must be auth")
    return message


async def hello_from(message: dict[str, Any], authenticate: Authenticate) -> Hello:
    token = message.get("token")
    if not isinstance(token, str):
        raise SocketClosed(CLOSE_UNAUTHORIZED, "the first message must be auth")
    resume = _resume_from(message)
    try:
        claims = await authenticate(token)
    except AuthenticationFailed as exc:
        raise SocketClosed(CLOSE_UNAUTHORIZED, "invalid or expired token") from exc
    return Hello(claims, resume)


def notification_id(raw: Any) -> UUID | None:
    """Raises ValueError unless `raw` is null or a UUID string."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValueError(raw)
    return UUID(raw)


def _resume_from(message: dict[str, Any]) -> ResumeFrom | None:
    if "resume_after" not in message:
        return None
    try:
        return ResumeFrom(notification_id(message["resume_after"]))
    except ValueError as exc:
        raise SocketClosed(CLOSE_BAD_REQUEST, "resume_after must be a notification id") from exc


async def reauthenticate(
    message: dict[str, Any] | None, authenticate: Authenticate, user: UUID
) -> AccessClaims:
    token = message.get("token") if message else None
    if not isinstance(token, str):
        raise SocketClosed(CLOSE_UNAUTHORIZED, "invalid token")
    try:
        claims = await authenticate(token)
    except AuthenticationFailed as exc:
        raise SocketClosed(CLOSE_UNAUTHORIZED, "invalid or expired token") from exc
    if claims.subject != user:
        raise SocketClosed(CLOSE_UNAUTHORIZED, "token of another user")
    return claims
