"""Sockets opened all at once on a freshly started server: every one goes live."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.api.notification_live import LiveServer, LiveUser, live_server, recv, send

SOCKETS = 100
# Generous for a shared 2-core machine; on a quiet one all arrive well under 1 s.
ARRIVAL_DEADLINE = 10.0


async def test_100_sockets_opened_at_once_are_all_ready_and_all_live(settings: Settings) -> None:
    # Every test client shares 127.0.0.1: lift the per-address caps above the burst.
    settings = dataclasses.replace(
        settings,
        socket_cap_per_address=SOCKETS,
        socket_unauthenticated_cap_per_address=SOCKETS,
    )
    async with contextlib.AsyncExitStack() as stack:
        # A fresh server for the sockets; in production mode the notifications
        # are raised through another server (and its own worker).
        server = await stack.enter_async_context(live_server(settings))
        other: LiveServer = server
        if settings.redis_url:
            other = await stack.enter_async_context(live_server(settings))
        users: list[LiveUser] = [await other.user(Role.PATIENT) for _ in range(SOCKETS)]
        sockets = await asyncio.gather(*(stack.enter_async_context(server.socket()) for _ in users))
        for ws, user in zip(sockets, users, strict=True):
            await send(ws, {"type": "auth", "token": user.token, "resume_after": None})

        answers = await asyncio.gather(*(recv(ws) for ws in sockets), return_exceptions=True)
        assert answers == [{"type": "ready"}] * SOCKETS

        raised = await asyncio.gather(*(other.notify(user.id) for user in users))
        frames = await asyncio.gather(
            *(recv(ws, ARRIVAL_DEADLINE) for ws in sockets), return_exceptions=True
        )
        assert [f.get("id") if isinstance(f, dict) else f for f in frames] == [
            str(ids[0]) for ids in raised
        ]
