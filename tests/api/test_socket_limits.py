"""What one client may make the notification WebSocket do, each ended with a close code."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator

import pytest
from websockets.exceptions import ConnectionClosed

from healthrecords.config import Settings
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.sockets import notifications as socket_module
from healthrecords.entrypoints.http.sockets.limits import Limits
from healthrecords.entrypoints.http.sockets.protocol import CLOSE_TOO_BIG, CLOSE_TOO_MANY
from tests.api.notification_live import LiveServer, closed_with, live_server, recv, send


@pytest.fixture(scope="module")
async def live(settings: Settings) -> AsyncIterator[LiveServer]:
    async with live_server(settings) as server:
        yield server


async def test_a_message_over_4096_characters_closes_1009(live: LiveServer) -> None:
    doctor = await live.user(Role.DOCTOR)
    async with live.socket(doctor) as ws:
        await ws.send('{"type":"ping","pad":"' + "x" * Limits().max_message_chars + '"}')
        assert await closed_with(ws) == CLOSE_TOO_BIG


async def test_a_huge_first_message_closes_1009_before_any_parsing(live: LiveServer) -> None:
    async with live.socket() as ws:
        await ws.send("[" * 50_000)
        assert await closed_with(ws) == CLOSE_TOO_BIG


async def test_deeply_nested_json_is_an_error_frame_not_a_crash(live: LiveServer) -> None:
    doctor = await live.user(Role.DOCTOR)
    async with live.socket(doctor) as ws:
        await ws.send("[" * 2000 + "]" * 2000)
        assert (await recv(ws))["type"] == "error"
        await send(ws, {"type": "ping"})
        assert await recv(ws) == {"type": "pong"}


async def test_a_flood_of_messages_closes_4429(live: LiveServer) -> None:
    doctor = await live.user(Role.DOCTOR)
    async with live.socket(doctor) as ws:
        # Far past the burst, so even a slow server sees the flood.
        with contextlib.suppress(ConnectionClosed):
            for _ in range(Limits().burst + 200):
                await ws.send('{"type":"pong"}')
        assert await closed_with(ws) == CLOSE_TOO_MANY


async def test_pings_at_a_human_pace_are_fine(live: LiveServer) -> None:
    doctor = await live.user(Role.DOCTOR)
    async with live.socket(doctor) as ws:
        for _ in range(5):
            await send(ws, {"type": "ping"})
            assert await recv(ws) == {"type": "pong"}


async def test_one_socket_too_many_for_a_user_closes_4429(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket_module, "LIMITS", Limits(sockets_per_user=2))
    doctor = await live.user(Role.DOCTOR)
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(2):
            await stack.enter_async_context(live.socket(doctor))
        async with live.socket() as third:
            await send(third, {"type": "auth", "token": doctor.token})
            assert await closed_with(third) == CLOSE_TOO_MANY
        # Another user is not affected.
        other = await live.user(Role.DOCTOR)
        await stack.enter_async_context(live.socket(other))
    # Closed sockets give their slots back.
    async with live.socket(doctor) as again:
        await send(again, {"type": "ping"})
        assert await recv(again) == {"type": "pong"}


@pytest.fixture(scope="module")
async def capped(settings: Settings) -> AsyncIterator[LiveServer]:
    """A server with tiny per-address caps (every test client is 127.0.0.1)."""
    small = dataclasses.replace(
        settings, socket_cap_per_address=3, socket_unauthenticated_cap_per_address=2
    )
    async with live_server(small) as server:
        yield server


async def test_unauthenticated_sockets_past_the_per_address_cap_close_4429(
    capped: LiveServer,
) -> None:
    doctor = await capped.user(Role.DOCTOR)
    async with capped.socket() as first, capped.socket():
        async with capped.socket() as third:
            assert await closed_with(third) == CLOSE_TOO_MANY
        # Authenticating frees its unauthenticated slot for the next one.
        await send(first, {"type": "auth", "token": doctor.token, "resume_after": None})
        assert await recv(first) == {"type": "ready"}
        async with capped.socket() as fourth:
            await send(fourth, {"type": "auth", "token": doctor.token, "resume_after": None})
            assert await recv(fourth) == {"type": "ready"}


async def test_open_sockets_past_the_per_address_cap_close_4429_and_slots_come_back(
    capped: LiveServer,
) -> None:
    users = [await capped.user(Role.PATIENT) for _ in range(4)]
    async with contextlib.AsyncExitStack() as stack:
        for user in users[:3]:
            await stack.enter_async_context(capped.socket(user))
        async with capped.socket() as fourth:
            assert await closed_with(fourth) == CLOSE_TOO_MANY
    end = time.monotonic() + 10
    while socket_module.ADMISSION.open("127.0.0.1"):
        assert time.monotonic() < end, "closed sockets kept their slots"
        await asyncio.sleep(0.01)
    async with capped.socket(users[3]) as again:
        await send(again, {"type": "ping"})
        assert await recv(again) == {"type": "pong"}
