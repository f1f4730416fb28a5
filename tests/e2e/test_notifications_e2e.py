"""Real processes: two API servers, a SAQ worker, PostgreSQL and Redis.

Every wait is a condition with a deadline. The sockets are plain `websockets`
clients speaking the documented protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import msgspec
import pytest
from websockets.asyncio.client import ClientConnection, connect

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.users import Role
from tests.faults.processes import ApiServer, Process, settings_env, start_api, start_worker
from tests.faults.proxy import TcpProxy, proxy_for
from tests.people import SeededUser, seed_user

DEADLINE = 60.0
PATH = "/api/ws/notifications/"


@pytest.fixture
async def direct(production_settings: Settings) -> AsyncIterator[Container]:
    container = build_container(production_settings)
    yield container
    await container.aclose()


@contextlib.asynccontextmanager
async def running(*processes: Process) -> AsyncIterator[None]:
    try:
        yield
    finally:
        for process in processes:
            await process.stop()


@contextlib.asynccontextmanager
async def socket(server: ApiServer, user: SeededUser) -> AsyncIterator[ClientConnection]:
    async with connect(server.ws_url + PATH, open_timeout=10) as ws:
        await ws.send(msgspec.json.encode({"type": "auth", "token": user.token}).decode())
        assert await frame(ws) == {"type": "ready"}
        yield ws


async def frame(ws: ClientConnection, deadline: float = 10.0) -> dict[str, Any]:
    while True:
        got: dict[str, Any] = msgspec.json.decode(await asyncio.wait_for(ws.recv(), deadline))
        if got.get("type") != "ping":
            return got


async def collect(ws: ClientConnection, count: int, deadline: float = DEADLINE) -> list[str]:
    """The ids of the next `count` notification frames."""
    end = time.monotonic() + deadline
    ids: list[str] = []
    while len(ids) < count:
        remaining = end - time.monotonic()
        assert remaining > 0, f"only {len(ids)} of {count} notifications arrived"
        got = await frame(ws, remaining)
        assert got["type"] == "notification", got
        ids.append(got["id"])
    return ids


async def nothing_more(ws: ClientConnection) -> None:
    await ws.send('{"type":"ping"}')
    assert await frame(ws) == {"type": "pong"}


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not await condition():
        assert time.monotonic() < end, what
        await asyncio.sleep(0.1)


async def undelivered(container: Container, ids: list[UUID]) -> int:
    async with container.uow() as uow:
        rows = [await uow.notifications.get(i) for i in ids]
    return sum(1 for row in rows if row is None or row.delivered_at is None)


async def assign(client: httpx.AsyncClient, patient: SeededUser, doctor: SeededUser) -> str:
    response = await client.post(
        "/api/assignments/", json={"doctor_id": str(doctor.id)}, headers=patient.headers
    )
    assert response.status_code == 201, response.text
    assignment_id: str = response.json()["id"]
    return assignment_id


async def test_assignment_made_through_a_reaches_the_doctors_socket_on_b(
    production_settings: Settings, direct: Container, tmp_path: Path
) -> None:
    env = settings_env(production_settings)
    worker = start_worker(env, tmp_path)
    server_a, server_b = await asyncio.gather(
        start_api(env, tmp_path, name="api-a"), start_api(env, tmp_path, name="api-b")
    )
    async with running(server_a, server_b, worker):
        doctor = await seed_user(direct, Role.DOCTOR)
        patient = await seed_user(direct, Role.PATIENT)
        async with (
            socket(server_b, doctor) as ws,
            httpx.AsyncClient(base_url=server_a.base_url, timeout=15) as client,
        ):
            # No per-message deflate: its zlib state would double an idle socket's memory.
            assert ws.response is not None
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
            assignment_id = await assign(client, patient, doctor)
            got = await frame(ws, DEADLINE)
            assert got["type"] == "notification"
            assert got["kind"] == "assignment.created"
            assert got["payload"]["assignment_id"] == assignment_id
            assert got["payload"]["patient_id"] == str(patient.id)
            await nothing_more(ws)


async def test_no_loss_while_redis_is_down_then_back(
    production_settings: Settings, redis_url: str, direct: Container, tmp_path: Path
) -> None:
    with proxy_for(redis_url) as redis_proxy:
        await _outage(production_settings, redis_url, redis_proxy, direct, tmp_path)


async def _outage(
    settings: Settings, redis_url: str, redis_proxy: TcpProxy, direct: Container, tmp_path: Path
) -> None:
    env = settings_env(settings, redis_url=redis_proxy.url_for(redis_url))
    worker = start_worker(env, tmp_path)
    server = await start_api(env, tmp_path)
    async with running(server, worker):
        online = await seed_user(direct, Role.DOCTOR)
        offline = await seed_user(direct, Role.DOCTOR)
        patients = [await seed_user(direct, Role.PATIENT) for _ in range(6)]
        async with (
            httpx.AsyncClient(base_url=server.base_url, timeout=30) as client,
            socket(server, online) as ws,
        ):
            # Delivery works before the outage; `offline` saw this one last.
            await assign(client, patients[0], online)
            await assign(client, patients[0], offline)
            assert len(await collect(ws, 1)) == 1
            async with direct.uow() as uow:
                (last_seen,) = await uow.notifications.list_for(offline.id)

            redis_proxy.cut()
            writes = [assign(client, p, d) for p in patients[1:] for d in (online, offline)]
            await asyncio.gather(*writes)  # all 201 with Redis down

            redis_proxy.restore()
            async with direct.uow() as uow:
                expected_online = [n.id for n in await uow.notifications.list_for(online.id)]
                expected_offline = [
                    n.id
                    for n in await uow.notifications.list_for(offline.id, after_seq=last_seen.seq)
                ]
            assert len(expected_online) == 6
            assert len(expected_offline) == 5
            # The open socket gets each missed one exactly once, in order.
            got = await collect(ws, 5)
            assert got == [str(i) for i in expected_online[1:]]
            # The worker's sweep delivers every row; late duplicates never reach the socket.
            await until(
                lambda: _all_delivered(direct, expected_online + expected_offline),
                "every notification marked delivered after Redis came back",
            )
            await nothing_more(ws)
        async with socket(server, offline) as ws:
            await ws.send(
                msgspec.json.encode({"type": "resume", "after": str(last_seen.id)}).decode()
            )
            assert await collect(ws, 5) == [str(i) for i in expected_offline]
            await nothing_more(ws)


async def _all_delivered(container: Container, ids: list[UUID]) -> bool:
    return await undelivered(container, ids) == 0


async def test_all_500_delivered_when_the_worker_is_killed_mid_burst(
    production_settings: Settings, direct: Container, tmp_path: Path
) -> None:
    env = settings_env(production_settings)
    worker = start_worker(env, tmp_path)
    server = await start_api(env, tmp_path)
    async with running(server, worker):
        doctor = await seed_user(direct, Role.DOCTOR)
        async with socket(server, doctor) as ws:
            ids: list[UUID] = []
            async with direct.uow() as uow:
                for i in range(500):
                    note = await uow.notifications.add(
                        doctor.id,
                        NotificationKind.ANNOTATION_CREATED,
                        {"annotation_id": str(i)},
                        direct.clock.now(),
                    )
                    ids.append(note.id)
                await uow.commit()
            await direct.notification_queue.enqueue(ids)

            async def some_delivered() -> bool:
                return await undelivered(direct, ids) < 450

            await until(some_delivered, "the worker started delivering")
            await worker.kill()
            assert await undelivered(direct, ids) > 0, "the burst ended before the kill"
            restarted = start_worker(env, tmp_path)
            async with running(restarted):
                await until(lambda: _all_delivered(direct, ids), "all 500 delivered")
                got = await collect(ws, 500)
                assert got == [str(i) for i in ids]
                await nothing_more(ws)
