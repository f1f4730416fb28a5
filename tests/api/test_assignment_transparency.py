"""Assignments made or revoked by someone else reach the patient; doctors can be
verified by an admin, and patients see it (issue 13, item 2). Assignments are
keyset-paginated (item 6)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.api.conftest import MakeUser, TestUser
from tests.api.notification_live import LiveServer, live_server, nothing_more, notifications
from tests.api.test_records_api import assign

Client = AsyncTestClient[Litestar]
PROBLEM = "application/problem+json"


async def feed(client: Client, who: TestUser) -> list[dict[str, Any]]:
    response = await client.get("/api/notifications/", params={"limit": 100}, headers=who.headers)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_an_admins_assignment_and_revocation_are_told_to_the_patient(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor, admin = (
        await make_user(Role.PATIENT),
        await make_user(Role.DOCTOR),
        await make_user(Role.ADMIN),
    )
    made = await client.post(
        "/api/assignments/",
        json={"doctor_id": str(doctor.id), "patient_id": str(patient.id)},
        headers=admin.headers,
    )
    assert made.status_code == 201
    assignment = made.json()
    gone = await client.delete(f"/api/assignments/{assignment['id']}/", headers=admin.headers)
    assert gone.status_code == 204

    told = [(n["kind"], n["payload"]) for n in reversed(await feed(client, patient))]
    payload = {"assignment_id": assignment["id"], "doctor_id": str(doctor.id), "by": str(admin.id)}
    assert told == [("assignment.created", payload), ("assignment.revoked", payload)]
    # The doctor is told as before.
    kinds = [n["kind"] for n in await feed(client, doctor)]
    assert sorted(kinds) == ["assignment.created", "assignment.revoked"]


async def test_a_patients_own_assignment_is_not_echoed_back(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    made = await assign(client, patient, doctor)
    await client.delete(f"/api/assignments/{made['id']}/", headers=patient.headers)
    assert await feed(client, patient) == []


@pytest.fixture
async def live(settings: Settings) -> AsyncIterator[LiveServer]:
    # Closed right after its test: on SQLite a second open app would contend
    # for the write lock with the session's app in the tests that follow.
    async with live_server(settings) as server:
        yield server


async def test_the_patient_is_told_in_real_time(live: LiveServer) -> None:
    patient, doctor, admin = (
        await live.user(Role.PATIENT),
        await live.user(Role.DOCTOR),
        await live.user(Role.ADMIN),
    )
    base = f"http://127.0.0.1:{live.port}"
    auth = {"Authorization": f"Bearer {admin.token}"}
    async with live.socket(patient) as ws, httpx.AsyncClient(base_url=base, timeout=10) as http:
        made = await http.post(
            "/api/assignments/",
            json={"doctor_id": str(doctor.id), "patient_id": str(patient.id)},
            headers=auth,
        )
        assert made.status_code == 201
        (frame,) = await notifications(ws, 1)
        assert frame["kind"] == "assignment.created"
        expected = {
            "assignment_id": made.json()["id"],
            "doctor_id": str(doctor.id),
            "by": str(admin.id),
        }
        assert frame["payload"] == expected
        revoked = await http.delete(f"/api/assignments/{made.json()['id']}/", headers=auth)
        assert revoked.status_code == 204
        (frame,) = await notifications(ws, 1)
        assert (frame["kind"], frame["payload"]) == ("assignment.revoked", expected)
        await nothing_more(ws)


async def test_admins_verify_doctors_and_patients_see_it(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor, admin = (
        await make_user(Role.PATIENT),
        await make_user(Role.DOCTOR),
        await make_user(Role.ADMIN),
    )
    await assign(client, patient, doctor)
    mine = (await client.get("/api/assignments/", headers=patient.headers)).json()["items"]
    assert [a["doctor_verified"] for a in mine] == [False]

    on = await client.patch(
        f"/api/users/{doctor.id}/", json={"verified": True}, headers=admin.headers
    )
    assert on.status_code == 200
    assert on.json()["verified"] is True
    assert on.json()["is_active"] is True

    mine = (await client.get("/api/assignments/", headers=patient.headers)).json()["items"]
    assert [a["doctor_verified"] for a in mine] == [True]
    listed = await directory(client, patient)
    assert listed[str(doctor.id)]["verified"] is True
    audit = await client.get(
        "/api/audit/", params={"actor_id": str(admin.id)}, headers=admin.headers
    )
    actions = [(e["action"], e["target_id"]) for e in audit.json()["items"]]
    assert ("user.verify", str(doctor.id)) in actions

    off = await client.patch(
        f"/api/users/{doctor.id}/", json={"verified": False}, headers=admin.headers
    )
    assert off.json()["verified"] is False
    assert (await directory(client, patient))[str(doctor.id)]["verified"] is False


async def directory(client: Client, who: TestUser) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/doctors/", params=params, headers=who.headers)).json()
        found.update({d["id"]: d for d in page["items"]})
        if not (cursor := page["next_cursor"]):
            return found


async def test_only_admins_verify_and_only_doctors(client: Client, make_user: MakeUser) -> None:
    doctor, patient, admin = (
        await make_user(Role.DOCTOR),
        await make_user(Role.PATIENT),
        await make_user(Role.ADMIN),
    )
    for caller in (doctor, patient):
        refused = await client.patch(
            f"/api/users/{doctor.id}/", json={"verified": True}, headers=caller.headers
        )
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith(PROBLEM)
    not_doctor = await client.patch(
        f"/api/users/{patient.id}/", json={"verified": True}, headers=admin.headers
    )
    assert not_doctor.status_code == 422
    assert not_doctor.headers["content-type"].startswith(PROBLEM)
    bad = await client.patch(
        f"/api/users/{doctor.id}/", json={"verified": "yes"}, headers=admin.headers
    )
    assert bad.status_code == 400
    # A refused half of a two-field body changes nothing: the patient stays active.
    both = await client.patch(
        f"/api/users/{patient.id}/",
        json={"is_active": False, "verified": True},
        headers=admin.headers,
    )
    assert both.status_code == 422
    assert (await client.get("/api/auth/me/", headers=patient.headers)).status_code == 200
    assert (await directory(client, patient))[str(doctor.id)]["verified"] is False


async def test_assignment_pages_hold_each_assignment_once(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    made = [await assign(client, patient, await make_user(Role.DOCTOR)) for _ in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await client.get("/api/assignments/", params=params, headers=patient.headers)
        assert page.status_code == 200
        assert len(page.json()["items"]) <= 2
        seen += [a["id"] for a in page.json()["items"]]
        if not (cursor := page.json()["next_cursor"]):
            break
    assert seen == [a["id"] for a in reversed(made)]
    for params, status in (({"limit": 0}, 400), ({"limit": 101}, 400), ({"cursor": "x"}, 422)):
        bad = await client.get("/api/assignments/", params=params, headers=patient.headers)
        assert bad.status_code == status, params
        assert bad.headers["content-type"].startswith(PROBLEM)
