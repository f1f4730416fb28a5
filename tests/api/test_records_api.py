"""Records, assignments, annotations and audit over HTTP, on both backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.domain.users import Role
from tests.api.conftest import MakeUser, TestUser

Client = AsyncTestClient[Litestar]
PROBLEM = "application/problem+json"


def body(title: str = "Allergy to penicillin", **extra: Any) -> dict[str, Any]:
    return {"title": title, "record_type": "allergy", "content": "Rash after 2 doses.", **extra}


async def create(client: Client, who: TestUser, **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/records/", json=body(**extra), headers=who.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def assign(client: Client, patient: TestUser, doctor: TestUser) -> dict[str, Any]:
    response = await client.post(
        "/api/assignments/", json={"doctor_id": str(doctor.id)}, headers=patient.headers
    )
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


async def test_record_lifecycle_with_etags(client: Client, make_user: MakeUser) -> None:
    patient = await make_user(Role.PATIENT)
    response = await client.post("/api/records/", json=body(), headers=patient.headers)
    assert response.status_code == 201
    record = response.json()
    assert response.headers["etag"] == '"1"'
    assert set(record) == {
        "id",
        "patient_id",
        "author_id",
        "title",
        "record_type",
        "content",
        "recorded_at",
        "created_at",
        "updated_at",
        "version",
        "updated_by",
    }
    assert record["patient_id"] == record["author_id"] == str(patient.id)
    url = f"/api/records/{record['id']}/"
    got = await client.get(url, headers=patient.headers)
    assert got.status_code == 200
    assert got.headers["etag"] == '"1"'
    assert got.json() == record

    changed = body("Penicillin allergy (confirmed)")
    put = await client.put(url, json=changed, headers={**patient.headers, "If-Match": '"1"'})
    assert put.status_code == 200
    assert put.headers["etag"] == '"2"'
    assert put.json()["title"] == "Penicillin allergy (confirmed)"

    stale = await client.put(
        url, json=body("lost update"), headers={**patient.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith(PROBLEM)
    assert (await client.get(url, headers=patient.headers)).json()["version"] == 2

    blind = await client.put(url, json=body("no if-match"), headers=patient.headers)
    assert blind.status_code == 200
    assert blind.json()["version"] == 3

    assert (await client.delete(url, headers=patient.headers)).status_code == 204
    assert (await client.get(url, headers=patient.headers)).status_code == 404
    listed = await client.get("/api/records/", headers=patient.headers)
    assert listed.json() == {"items": [], "next_cursor": None}


async def test_concurrent_puts_with_the_same_if_match_one_wins(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    record = await create(client, patient)
    url = f"/api/records/{record['id']}/"
    headers = {**patient.headers, "If-Match": '"1"'}
    answers = await asyncio.gather(
        *(client.put(url, json=body(f"writer {i}"), headers=headers) for i in range(8))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [412] * 7
    winner = next(a.json() for a in answers if a.status_code == 200)
    stored = (await client.get(url, headers=patient.headers)).json()
    assert stored["version"] == 2
    assert stored["title"] == winner["title"]


async def test_pages_hold_every_record_once_while_records_are_added(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    existing = set()
    for i in range(23):
        at = (start + timedelta(hours=i % 5)).isoformat()  # ties on recorded_at too
        existing.add((await create(client, patient, recorded_at=at))["id"])
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "4", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/records/", params=query, headers=patient.headers)).json()
        seen += [r["id"] for r in page["items"]]
        keys = [(r["recorded_at"], r["id"]) for r in page["items"]]
        assert keys == sorted(keys, reverse=True)
        # Someone keeps writing: new records (now and in the past) during paging.
        await create(client, patient)
        await create(client, patient, recorded_at=(start - timedelta(days=1)).isoformat())
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen))
    assert existing <= set(seen)


async def test_bad_input_is_a_problem_and_changes_nothing(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    cases = [
        body(""),
        body("x" * 201),
        {**body(), "record_type": "horoscope"},
        {**body(), "content": "é" * 40_000},
        {**body(), "recorded_at": "2024-01-01T00:00:00"},
        {**body(), "unexpected": 1},
        {"title": "missing fields"},
    ]
    for case in cases:
        response = await client.post("/api/records/", json=case, headers=patient.headers)
        assert response.status_code in (400, 422), (case, response.status_code)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["errors"], case
    for params in (
        {"limit": "0"},
        {"limit": "101"},
        {"cursor": "garbage"},
        {"record_type": "nope"},
        {"patient_id": "not-a-uuid"},
    ):
        response = await client.get("/api/records/", params=params, headers=patient.headers)
        assert response.status_code in (400, 422), params
    listed = await client.get("/api/records/", headers=patient.headers)
    assert listed.json()["items"] == []


async def test_patient_doctor_session(client: Client, make_user: MakeUser) -> None:
    patient = await make_user(Role.PATIENT, full_name="Pat Ient")
    doctor = await make_user(Role.DOCTOR)
    mine = await create(client, patient)
    assignment = await assign(client, patient, doctor)
    assert assignment["active"] is True
    again = await client.post(
        "/api/assignments/", json={"doctor_id": str(doctor.id)}, headers=patient.headers
    )
    assert again.status_code == 200
    assert again.json()["id"] == assignment["id"]

    patients = (await client.get("/api/doctors/patients/", headers=doctor.headers)).json()
    assert [(p["id"], p["full_name"]) for p in patients] == [(str(patient.id), "Pat Ient")]
    by_doctor = await client.post(
        "/api/records/",
        json=body("BP 150/95", patient_id=str(patient.id), record_type="vital_sign"),
        headers=doctor.headers,
    )
    assert by_doctor.status_code == 201
    assert by_doctor.json()["author_id"] == str(doctor.id)
    listed = await client.get(
        "/api/records/", params={"patient_id": str(patient.id)}, headers=doctor.headers
    )
    assert len(listed.json()["items"]) == 2
    only_vitals = await client.get(
        "/api/records/", params={"record_type": "vital_sign"}, headers=doctor.headers
    )
    assert [r["title"] for r in only_vitals.json()["items"]] == ["BP 150/95"]

    note = await client.post(
        "/api/doctors/annotations/",
        json={"record_id": mine["id"], "body": "Avoid beta-lactams."},
        headers=doctor.headers,
    )
    assert note.status_code == 201
    notes = await client.get(f"/api/records/{mine['id']}/annotations/", headers=patient.headers)
    assert [n["body"] for n in notes.json()["items"]] == ["Avoid beta-lactams."]

    revoked = await client.delete(f"/api/assignments/{assignment['id']}/", headers=patient.headers)
    assert revoked.status_code == 204
    after = await client.get(f"/api/records/{mine['id']}/", headers=doctor.headers)
    assert after.status_code == 404
    assert (await client.get("/api/doctors/patients/", headers=doctor.headers)).json() == []
    history = await client.get(
        "/api/assignments/", params={"include_revoked": "true"}, headers=patient.headers
    )
    assert [a["active"] for a in history.json()["items"]] == [False]


async def test_admins_read_the_audit_not_the_records(client: Client, make_user: MakeUser) -> None:
    patient = await make_user(Role.PATIENT)
    stranger = await make_user(Role.DOCTOR)
    admin = await make_user(Role.ADMIN)
    record = await create(client, patient)
    assert (await client.get(f"/api/records/{record['id']}/", headers=patient.headers)).is_success
    denied = await client.get(f"/api/records/{record['id']}/", headers=stranger.headers)
    assert denied.status_code == 404
    assert (
        await client.get(f"/api/records/{record['id']}/", headers=admin.headers)
    ).status_code == 404

    events = await client.get(
        "/api/audit/", params={"patient_id": str(patient.id)}, headers=admin.headers
    )
    assert events.status_code == 200
    trail = [(e["actor_id"], e["action"], e["outcome"]) for e in events.json()["items"]]
    assert (str(stranger.id), "record.read", "not_found") in trail
    assert (str(patient.id), "record.create", "success") in trail
    for event in events.json()["items"]:
        assert "title" not in event
        assert event["request_id"]
    paged = await client.get(
        "/api/audit/", params={"actor_id": str(patient.id), "limit": "1"}, headers=admin.headers
    )
    first = paged.json()
    assert len(first["items"]) == 1
    assert first["next_cursor"]
    bad = await client.get("/api/audit/", params={"cursor": "!!"}, headers=admin.headers)
    assert bad.status_code in (400, 422)
    since = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    future = await client.get("/api/audit/", params={"since": since}, headers=admin.headers)
    assert future.json()["items"] == []


async def test_a_doctor_lists_all_assigned_files_newest_first(
    client: Client, make_user: MakeUser
) -> None:
    doctor = await make_user(Role.DOCTOR)
    first, second, unrelated = [await make_user(Role.PATIENT) for _ in range(3)]
    start = datetime(2023, 6, 1, tzinfo=UTC)
    expected = []
    for i in range(9):
        owner = (first, second, unrelated)[i % 3]
        made = await create(client, owner, recorded_at=(start + timedelta(days=i)).isoformat())
        if owner is not unrelated:
            expected.append(made["id"])
    await assign(client, first, doctor)
    await assign(client, second, doctor)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/records/", params=params, headers=doctor.headers)).json()
        seen += [r["id"] for r in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == list(reversed(expected))


async def test_concurrent_assignments_leave_one_active_row(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    answers = await asyncio.gather(
        *(
            client.post(
                "/api/assignments/", json={"doctor_id": str(doctor.id)}, headers=patient.headers
            )
            for _ in range(6)
        )
    )
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    active = (await client.get("/api/assignments/", headers=patient.headers)).json()
    assert len(active["items"]) == 1
