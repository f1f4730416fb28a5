"""WebSocket /api/ws/notifications/: the Litestar side of NotificationSocket."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import WebSocket, websocket
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect

from healthrecords.bootstrap import Container
from healthrecords.entrypoints.http.deps import ActorProvider
from healthrecords.entrypoints.http.sockets.account_watch import AccountWatch
from healthrecords.entrypoints.http.sockets.admission import AddressCaps, Admission
from healthrecords.entrypoints.http.sockets.limits import Limits, SetupLine, Slots, Timings
from healthrecords.entrypoints.http.sockets.protocol import CLOSE_POLICY, Disconnected
from healthrecords.entrypoints.http.sockets.session import NotificationSocket

# Tests shorten these; production keeps the defaults.
TIMINGS = Timings()
LIMITS = Limits()
# This process's open sockets per user, and per client address.
SLOTS: Slots[UUID] = Slots()
ADMISSION = Admission()
# Sockets set up at once per process: well under the database pool (20), so
# HTTP requests keep connections while a burst of sockets authenticates.
SETUP = SetupLine(8)


class LitestarTransport:
    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self._socket = socket

    async def receive_text(self) -> str:
        try:
            return await self._socket.receive_data("text")
        except WebSocketDisconnect as exc:
            raise Disconnected from exc

    async def send_text(self, data: str) -> None:
        try:
            await self._socket.send_text(data)
        except (WebSocketDisconnect, OSError, RuntimeError) as exc:
            raise Disconnected from exc

    async def close(self, code: int, reason: str) -> None:
        await self._socket.close(code=code, reason=reason)


def origin_of(scope: Any) -> str | None:
    """From the raw scope: `socket.headers` would build and keep a parsed
    copy of every header for the socket's whole life."""
    for name, value in scope["headers"]:
        if name == b"origin":
            return str(value.decode("latin-1"))
    return None


def origin_allowed(origin: str | None, allowed: tuple[str, ...]) -> bool:
    """Browsers always send Origin; a client without one is not a browser page,
    so cross-site WebSocket hijacking does not apply to it."""
    return origin is None or origin in allowed


@websocket("/api/ws/notifications/", name="notifications_socket")
async def notifications_socket(
    socket: WebSocket[Any, Any, Any],
    container: NamedDependency[Container],
    actor_provider: NamedDependency[ActorProvider],
    account_watch: NamedDependency[AccountWatch],
) -> None:
    if not origin_allowed(origin_of(socket.scope), container.settings.cors_origins):
        # Closing before accepting answers the handshake with 403.
        await socket.close(code=CLOSE_POLICY, reason="origin not allowed")
        return
    await socket.accept()

    assert container.channels is not None, "build_container sets the channels plugin"
    settings = container.settings
    await NotificationSocket(
        LitestarTransport(socket),
        # The per-process memory of active users HTTP uses: a socket of a
        # user seen active within 2 s sets up without reading the account.
        authenticate=actor_provider.socket_claims,
        watch=account_watch,
        service=container.notifications,
        channels=container.channels,
        namespace=container.settings.redis_namespace,
        clock=container.clock,
        timings=TIMINGS,
        limits=LIMITS,
        slots=SLOTS,
        admission=ADMISSION,
        setup=SETUP,
        address=socket.client.host if socket.client else "",
        caps=AddressCaps(
            open=settings.socket_cap_per_address,
            unauthenticated=settings.socket_unauthenticated_cap_per_address,
        ),
    ).run()
