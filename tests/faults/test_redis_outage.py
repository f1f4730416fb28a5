"""Redis cut away from real API and worker processes (production mode).

Writes keep working (the outbox rows commit with them), sign-in fails closed,
and every notification raised meanwhile is delivered once Redis is back.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
import websockets
from sqlalchemy import text

from healthrecords.bootstrap import Container
from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.faults.processes import ApiServer, Process, settings_env, start_api, start_worker
from tests.faults.proxy import TcpProxy
from tests.people import seed_user

PROBLEM = "application/problem+json"
CLIENT_TIMEOUT = 15.0
DELIVERY_DEADLINE = 45.0


@pytest.fixture
async def through_proxy(
    redis_proxy: TcpProxy, production_settings: Settings, redis_url: str, tmp_path: Path
) -> AsyncIterator[tuple[ApiServer, Process]]:
    env = settings_env(production_settings, redis_url=redis_proxy.url_for(redis_url))
    api = await start_api(env, tmp_path)
    worker = start_worker(env, tmp_path)
    await worker.wait_for_output("notification worker started")
    yield api, worker
    await worker.stop()
    await api.stop()


async def undelivered(direct: Container, recipients: list[UUID]) -> int:
    async with direct.engine.connect() as conn:
        count = await conn.scalar(
            text(
                "SELECT count(*) FROM notification "
                "WHERE delivered_at IS NULL AND recipient_id = ANY(:ids)"
            ),
            {"ids": recipients},
        )
    return int(count or 0)


async def test_writes_succeed_sign_in_fails_closed_and_notifications_arrive_later(
    through_proxy: tuple[ApiServer, Process], redis_proxy: TcpProxy, direct: Container
) -> None:
    api, _worker = through_proxy
    patient = await seed_user(direct, Role.PATIENT)
    doctor = await seed_user(direct, Role.DOCTOR, full_name="Dr. Outage")

    redis_proxy.cut()
    async with httpx.AsyncClient(base_url=api.base_url, timeout=CLIENT_TIMEOUT) as client:
        record = await client.post(
            "/api/records/",
            json={"title": "Asthma", "record_type": "condition", "content": "Mild, seasonal."},
            headers=patient.headers,
        )
        assignment = await client.post(
            "/api/assignments/", json={"doctor_id": str(doctor.id)}, headers=patient.headers
        )
        annotation = await client.post(
            "/api/doctors/annotations/",
            json={"record_id": record.json()["id"], "body": "Review inhaler use."},
            headers=doctor.headers,
        )
        login = await client.post(
            "/api/auth/login/", json={"email": patient.email, "password": patient.password}
        )
        ready = await client.get("/ready")

    assert record.status_code == 201, record.text
    assert assignment.status_code == 201, assignment.text
    assert annotation.status_code == 201, annotation.text
    # The failed-login counter lives in Redis: without it, no password is checked.
    assert login.status_code == 503
    assert login.headers["content-type"].startswith(PROBLEM)
    assert ready.status_code == 503
    assert ready.json()["unreachable"] == ["redis"]
    assert await undelivered(direct, [patient.id, doctor.id]) == 2

    redis_proxy.restore()
    deadline = time.monotonic() + DELIVERY_DEADLINE
    while (left := await undelivered(direct, [patient.id, doctor.id])) > 0:
        assert time.monotonic() < deadline, f"{left} notifications never delivered"
        await asyncio.sleep(0.2)

    # And the doctor's socket, opened now, can resume the one it missed.
    async with websockets.connect(f"{api.ws_url}/api/ws/notifications/") as ws:
        await ws.send(json.dumps({"type": "auth", "token": doctor.token}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "ready"
        await ws.send(json.dumps({"type": "resume", "after": None}))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert frame["type"] == "notification"
    assert frame["kind"] == "assignment.created"


async def test_a_partitioned_redis_costs_writes_at_most_a_short_wait(
    through_proxy: tuple[ApiServer, Process], redis_proxy: TcpProxy, direct: Container
) -> None:
    # Nothing comes back at all, so only the app's own bounds end each wait:
    # the rate-limit store's (0.5 s, then rests), the enqueue's. The client's
    # 8 s bound is below the Redis client's socket timeout taken four times.
    api, _worker = through_proxy
    patient = await seed_user(direct, Role.PATIENT)
    doctor = await seed_user(direct, Role.DOCTOR)

    redis_proxy.blackhole()
    async with httpx.AsyncClient(base_url=api.base_url, timeout=8) as client:
        record = await client.post(
            "/api/records/",
            json={"title": "Migraine", "record_type": "condition", "content": "Weekly."},
            headers=patient.headers,
        )
        assignment = await client.post(
            "/api/assignments/", json={"doctor_id": str(doctor.id)}, headers=patient.headers
        )
        me = await client.get("/api/auth/me/", headers=doctor.headers)
    assert record.status_code == 201, record.text
    assert assignment.status_code == 201, assignment.text
    assert me.status_code == 200

    redis_proxy.restore()
    deadline = time.monotonic() + DELIVERY_DEADLINE
    while await undelivered(direct, [doctor.id]) > 0:
        assert time.monotonic() < deadline, "the assignment was never delivered"
        await asyncio.sleep(0.2)
