"""One client holding many connections, or sending headers slowly, against a real server.

Every server here runs as its own process on loopback; the "attacker" is
127.0.0.1 and the honest client 127.0.0.2 (Linux routes all of 127/8 to lo).
Connection counts stay in the low hundreds and the server gets a small
open-file limit of its own, so nothing outside these processes is strained.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from healthrecords.bootstrap import build_container
from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.faults.processes import ApiServer, settings_env, start_api
from tests.people import seed_user

ATTACKER, HONEST = "127.0.0.1", "127.0.0.2"
Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def connect(port: int, source: str = ATTACKER) -> Stream:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def read_answer(stream: Stream, deadline: float = 10) -> bytes:
    """Everything the server sends until it closes (b"" if it closes silently)."""
    reader, _ = stream
    return await asyncio.wait_for(reader.read(), deadline)


def close_all(streams: list[Stream]) -> None:
    for _, writer in streams:
        writer.transport.abort()


async def eventually(check: Callable[[], Awaitable[bool]], deadline: float = 10) -> None:
    end = time.monotonic() + deadline
    while not await check():
        if time.monotonic() > end:
            raise AssertionError(f"not true within {deadline} s")
        await asyncio.sleep(0.05)


def honest_client(server: ApiServer) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=HONEST)
    return httpx.AsyncClient(base_url=server.base_url, transport=transport, timeout=15)


@contextlib.asynccontextmanager
async def api_server(
    settings: Settings, tmp_path: Path, nofile: int | None = None, **overrides: str
) -> AsyncIterator[ApiServer]:
    server = await start_api(settings_env(settings, **overrides), tmp_path, nofile=nofile)
    try:
        yield server
    finally:
        await server.stop()


WHOLE_REQUEST = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"


async def trickle(writer: asyncio.StreamWriter, stop: asyncio.Event, before: bytes = b"") -> None:
    """A request whose headers never finish: one byte every 0.3 s (after `before`)."""
    with contextlib.suppress(ConnectionError, OSError):
        writer.write(before + b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        while not stop.is_set() and not writer.is_closing():
            writer.write(b"a")
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.3)


async def test_a_login_from_another_address_answers_while_one_address_holds_hundreds(
    settings: Settings, tmp_path: Path
) -> None:
    container = build_container(settings)
    try:
        user = await seed_user(container, Role.PATIENT)
    finally:
        await container.aclose()
    # 256 descriptors: without caps, the 350 connections below exhaust them.
    async with api_server(settings, tmp_path, nofile=256) as server:
        stop = asyncio.Event()
        idle: list[Stream] = []
        slow: list[Stream] = []
        sockets: list[Any] = []
        tasks: list[asyncio.Task[None]] = []
        try:
            for _ in range(150):
                idle.append(await connect(server.port))
            for _ in range(150):
                stream = await connect(server.port)
                slow.append(stream)
                tasks.append(asyncio.create_task(trickle(stream[1], stop)))

            async def unauthenticated_socket() -> None:
                sockets.append(await websockets.connect(f"{server.ws_url}/api/ws/notifications/"))

            await asyncio.gather(
                *(asyncio.wait_for(unauthenticated_socket(), 5) for _ in range(50)),
                return_exceptions=True,
            )

            async with honest_client(server) as client:
                started = time.monotonic()
                login = await client.post(
                    "/api/auth/login/", json={"email": user.email, "password": user.password}
                )
                took = time.monotonic() - started
            print(f"login from {HONEST} while {ATTACKER} attacked: {took:.3f} s")
            assert login.status_code == 200, login.text
            assert took < 5, f"login took {took:.1f} s"
        finally:
            stop.set()
            close_all(idle + slow)
            for ws in sockets:
                ws.transport.abort()
            await asyncio.gather(*tasks, return_exceptions=True)
        accept_lines = [line for line in server.output().splitlines() if "accept()" in line]
        assert len(accept_lines) <= 1, accept_lines[:3]


async def test_connections_over_the_per_address_cap_get_429_others_are_served(
    production_settings: Settings, tmp_path: Path
) -> None:
    async with api_server(
        production_settings, tmp_path, max_connections_per_address="5", header_timeout="60"
    ) as server:
        held = [await connect(server.port) for _ in range(5)]
        try:
            extra = await connect(server.port)
            answer = await read_answer(extra)
            assert answer.startswith(b"HTTP/1.1 429 "), answer[:80]
            assert b"retry-after: 1" in answer
            body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
            assert body["status"] == 429
            assert body["title"] == "Too Many Requests"
            async with honest_client(server) as client:
                assert (await client.get("/health")).status_code == 200
        finally:
            close_all(held)

        async def attacker_served_again() -> bool:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as client:
                return (await client.get("/health")).status_code == 200

        await eventually(attacker_served_again)


async def test_connections_over_the_process_cap_get_503_until_some_close(
    production_settings: Settings, tmp_path: Path
) -> None:
    async with api_server(
        production_settings,
        tmp_path,
        max_connections="20",
        max_connections_per_address="0",
        header_timeout="60",
    ) as server:
        held = [await connect(server.port) for _ in range(20)]
        try:
            extra = await connect(server.port, source=HONEST)
            answer = await read_answer(extra)
            assert answer.startswith(b"HTTP/1.1 503 "), answer[:80]
            assert b"application/problem+json" in answer
        finally:
            close_all(held)

        async def served_again() -> bool:
            async with honest_client(server) as client:
                return (await client.get("/health")).status_code == 200

        await eventually(served_again)


async def test_request_headers_must_arrive_within_the_deadline(
    production_settings: Settings, tmp_path: Path
) -> None:
    async with api_server(production_settings, tmp_path, header_timeout="2") as server:
        idle = await connect(server.port)
        slow = await connect(server.port)
        answered = await connect(server.port)
        pipelined = await connect(server.port)
        stop = asyncio.Event()
        trickling = [
            asyncio.create_task(trickle(slow[1], stop)),
            # A whole request, then the next one's headers never finish.
            asyncio.create_task(trickle(pipelined[1], stop, before=WHOLE_REQUEST)),
        ]
        answered[1].write(WHOLE_REQUEST)
        started = time.monotonic()
        try:
            # Nothing sent: closed without a word, like an expired keep-alive.
            assert await read_answer(idle, deadline=8) == b""
            # Headers begun but never finished, though bytes keep coming: 408.
            answer = await read_answer(slow, deadline=8)
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
            assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["status"] == 408
            assert time.monotonic() - started < 6
            # Answered, then nothing: the answer, then closed without a word.
            answer = await read_answer(answered, deadline=8)
            assert answer.startswith(b"HTTP/1.1 200 "), answer[:80]
            assert answer.count(b"HTTP/1.1 ") == 1, answer
            # Answered, then a request begun and never finished: the answer, then 408.
            answer = await read_answer(pipelined, deadline=8)
            assert answer.startswith(b"HTTP/1.1 200 "), answer[:80]
            assert answer.count(b"HTTP/1.1 ") == 2, answer
            assert b"HTTP/1.1 408 " in answer, answer[-300:]
        finally:
            stop.set()
            await asyncio.gather(*trickling)
            close_all([idle, slow, answered, pipelined])

        # A client that keeps sending whole requests is never cut off by it.
        async with honest_client(server) as client:
            end = time.monotonic() + 5
            while time.monotonic() < end:
                assert (await client.get("/health")).status_code == 200
                await asyncio.sleep(0.5)


async def test_accept_failures_are_logged_once_per_interval(
    production_settings: Settings, tmp_path: Path
) -> None:
    # A cap set above what the file limit allows: accept() itself fails.
    async with api_server(
        production_settings,
        tmp_path,
        nofile=128,
        max_connections="10000",
        max_connections_per_address="0",
    ) as server:
        held: list[Stream] = []
        try:
            for _ in range(200):
                held.append(await connect(server.port))
            await server.wait_for_output("accept()", deadline=10)
            # The window in which asyncio retries (every 1 s) several times.
            watched_until = time.monotonic() + 3
            while time.monotonic() < watched_until:
                assert server.running
                await asyncio.sleep(0.1)
        finally:
            close_all(held)
        lines = [line for line in server.output().splitlines() if "accept()" in line]
        assert len(lines) == 1, (len(lines), lines[:2])


async def test_responses_do_not_name_the_server_software(
    production_settings: Settings, tmp_path: Path
) -> None:
    async with (
        api_server(production_settings, tmp_path) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=10) as client,
    ):
        for path in ("/health", "/api/auth/me/", "/no-such-page"):
            response = await client.get(path)
            assert "server" not in response.headers, (path, response.headers)


@pytest.fixture(autouse=True)
def _loopback_aliases_work() -> None:
    """127.0.0.2 must be usable as a source address (Linux: all of 127/8 is lo)."""
    import socket

    with socket.socket() as sock:
        sock.bind((HONEST, 0))


async def test_a_client_that_hangs_up_mid_body_is_no_server_error(
    production_settings: Settings, tmp_path: Path
) -> None:
    """wrk closing its connections at the end of a run showed up as 500s
    with no error logged: Litestar raises InternalServerException when the
    body never arrives."""
    container = build_container(production_settings)
    patient = await seed_user(container, Role.PATIENT)
    await container.aclose()
    async with api_server(production_settings, tmp_path) as server:
        for _ in range(3):
            _, writer = await connect(server.port)
            writer.write(
                b"POST /api/records/ HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Bearer " + patient.token.encode() + b"\r\n"
                b"Content-Type: application/json\r\nContent-Length: 400\r\n\r\n"
                b'{"title": "half'
            )
            await writer.drain()
            writer.transport.abort()

        def access_lines() -> list[dict[str, Any]]:
            lines = (json.loads(x) for x in server.output().splitlines() if x.startswith("{"))
            return [x for x in lines if x.get("path") == "/api/records" and "status" in x]

        async def all_logged() -> bool:
            return len(access_lines()) == 3

        await eventually(all_logged)
        assert [x["status"] for x in access_lines()] == [400, 400, 400]
        assert '"level":"ERROR"' not in server.output()
