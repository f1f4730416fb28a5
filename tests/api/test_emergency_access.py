"""Break-glass: time-boxed, read-only emergency access that the patient is told about."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.api.clocked import clocked_client
from tests.api.conftest import MakeUser, TestUser
from tests.api.notification_live import LiveServer, live_server, recv
from tests.api.test_records_api import create
from tests.clock import MovableClock
from tests.people import seed_user

Client = AsyncTestClient[Litestar]
REASON = "Unconscious in the emergency room, no assigned doctor on call"


async def open_access(client: Client, doctor: TestUser, patient_id: Any, **extra: Any) -> Any:
    body = {"patient_id": str(patient_id), "reason": REASON, **extra}
    return await client.post("/api/emergency-access/", json=body, headers=doctor.headers)


@pytest.fixture
async def live(settings: Settings) -> AsyncIterator[LiveServer]:
    async with live_server(settings) as server:
        yield server


async def test_the_patient_is_told_at_once_over_its_socket(live: LiveServer) -> None:
    patient, doctor = await live.user(Role.PATIENT), await live.user(Role.DOCTOR)
    async with live.socket(patient) as ws:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{live.port}") as http:
            opened = await http.post(
                "/api/emergency-access/",
                json={"patient_id": str(patient.id), "reason": REASON},
                headers={"Authorization": f"Bearer {doctor.token}"},
            )
        assert opened.status_code == 201, opened.text
        grant = opened.json()
        frame = await recv(ws)
        assert frame["kind"] == "access.emergency"
        assert frame["payload"] == {
            "grant_id": grant["id"],
            "doctor_id": str(doctor.id),
            "expires_at": frame["payload"]["expires_at"],
        }
        assert frame["payload"]["expires_at"][:19] == grant["expires_at"][:19]


async def test_reads_under_the_grant_are_read_only_audited_and_in_the_access_log(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR, "Dr. Break Glass")
    record = await create(client, patient)
    opened = await open_access(client, doctor, patient.id)
    assert opened.status_code == 201, opened.text
    grant = opened.json()
    assert {"id", "patient_id", "expires_at"} <= grant.keys()
    base = f"/api/emergency-access/{grant['id']}/records/"
    listed = await client.get(base, headers=doctor.headers)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["items"]] == [record["id"]]
    one = await client.get(f"{base}{record['id']}/", headers=doctor.headers)
    assert (one.status_code, one.json()["title"]) == (200, record["title"])
    # Read-only: no change goes through, and the normal routes stay closed.
    rid = record["id"]
    change = {"title": "x", "record_type": "note", "content": "x"}
    assert (
        await client.put(f"/api/records/{rid}/", json=change, headers=doctor.headers)
    ).status_code == 404
    note = {"record_id": rid, "body": "An annotation."}
    made = await client.post("/api/doctors/annotations/", json=note, headers=doctor.headers)
    assert made.status_code == 404
    new = {**change, "patient_id": str(patient.id)}
    assert (await client.post("/api/records/", json=new, headers=doctor.headers)).status_code == 404
    # Another doctor cannot use the grant.
    other = await make_user(Role.DOCTOR)
    assert (await client.get(base, headers=other.headers)).status_code == 404
    log = await client.get(
        "/api/records/access-log/", params={"limit": "100"}, headers=patient.headers
    )
    entries = [e for e in log.json()["items"] if e["target_type"] == "emergency_access"]
    actions = sorted(e["action"] for e in entries if e["actor_id"] == str(doctor.id))
    assert actions == ["emergency.record.list", "emergency.record.read", "emergency_access.open"]
    assert {e["reason"] for e in entries if e["actor_id"] == str(doctor.id)} == {REASON}
    assert {e["actor_name"] for e in entries if e["actor_id"] == str(doctor.id)} == {
        "Dr. Break Glass"
    }


async def test_access_ends_when_it_expires_or_is_ended(settings: Settings) -> None:
    # A one-minute grant: the clock moves two minutes, so the audit rows this
    # test writes never sit far in the future of the shared database.
    clock = MovableClock()
    short = dataclasses.replace(settings, emergency_access_minutes=1)
    async with clocked_client(short, clock) as (client, container):
        # The container's connections belong to the app's loop (its portal).
        patient = client.blocking_portal.call(seed_user, container, Role.PATIENT)
        doctor = client.blocking_portal.call(seed_user, container, Role.DOCTOR)
        record = await create(client, patient)
        grant = (await open_access(client, doctor, patient.id)).json()
        base = f"/api/emergency-access/{grant['id']}/records/{record['id']}/"
        clock.advance(59)
        assert (await client.get(base, headers=doctor.headers)).status_code == 200
        clock.advance(2)  # past the minute
        assert (await client.get(base, headers=doctor.headers)).status_code == 404

        reopened = await open_access(client, doctor, patient.id)
        assert reopened.status_code == 201, reopened.text
        early = f"/api/emergency-access/{reopened.json()['id']}/"
        assert (await client.get(early + "records/", headers=doctor.headers)).status_code == 200
        assert (await client.delete(early, headers=doctor.headers)).status_code == 204
        assert (await client.get(early + "records/", headers=doctor.headers)).status_code == 404


async def test_a_doctor_opens_at_most_the_daily_limit_even_at_once(
    client: Client, make_user: MakeUser
) -> None:
    doctor = await make_user(Role.DOCTOR)
    patients = [await make_user(Role.PATIENT) for _ in range(6)]
    answers = await asyncio.gather(*(open_access(client, doctor, p.id) for p in patients))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 201, 201, 429, 429, 429]
    for refused in (a for a in answers if a.status_code == 429):
        assert int(refused.headers["retry-after"]) > 0
        assert refused.headers["content-type"].startswith("application/problem+json")


async def test_bad_openings_are_refused_and_admins_list_the_grants(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor, admin = (
        await make_user(Role.PATIENT),
        await make_user(Role.DOCTOR),
        await make_user(Role.ADMIN),
    )
    short = await open_access(client, doctor, patient.id, reason="too short")
    assert short.status_code == 422
    assert [e["field"] for e in short.json()["errors"]] == ["reason"]
    long = await open_access(client, doctor, patient.id, reason="x" * 501)
    assert long.status_code == 422
    assert (await open_access(client, patient, patient.id)).status_code == 403
    assert (await open_access(client, admin, patient.id)).status_code == 403
    assert (await open_access(client, doctor, doctor.id)).status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await open_access(client, doctor, missing)).status_code == 404
    made = (await open_access(client, doctor, patient.id)).json()
    assert (await client.get("/api/emergency-access/", headers=doctor.headers)).status_code == 403
    listed = await client.get(
        "/api/emergency-access/", params={"limit": "100"}, headers=admin.headers
    )
    assert listed.status_code == 200
    mine = [g for g in listed.json()["items"] if g["id"] == made["id"]]
    assert [(g["doctor_id"], g["reason"]) for g in mine] == [(str(doctor.id), REASON)]
