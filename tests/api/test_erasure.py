"""POST /api/patients/{id}/erase/: the file's data key destroyed, the account erased."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any
from uuid import UUID

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from healthrecords.bootstrap import Container
from healthrecords.domain.users import Role
from tests.api.conftest import InAppLoop, MakeUser, TestUser
from tests.api.test_records_api import assign, create

Client = AsyncTestClient[Litestar]


async def erase(client: Client, who: TestUser, patient_id: Any, **body: str) -> Any:
    return await client.post(f"/api/patients/{patient_id}/erase/", json=body, headers=who.headers)


async def annotate(client: Client, doctor: TestUser, record_id: str) -> None:
    made = await client.post(
        "/api/doctors/annotations/",
        json={"record_id": record_id, "body": "a doctor's note"},
        headers=doctor.headers,
    )
    assert made.status_code == 201, made.text


async def audit_of(client: Client, admin: TestUser, patient_id: Any) -> list[dict[str, Any]]:
    events = await client.get(
        "/api/audit/", params={"patient_id": str(patient_id), "limit": "100"}, headers=admin.headers
    )
    assert events.status_code == 200
    items: list[dict[str, Any]] = events.json()["items"]
    return items


async def count(container: Container, in_app_loop: InAppLoop, sql: str, user: UUID) -> int:
    async def run() -> int:
        ident = user.bytes if container.settings.embedded else user
        async with container.engine.connect() as conn:
            return int((await conn.execute(text(sql), {"u": ident})).scalar_one())

    return await in_app_loop(run)


async def test_a_patient_erases_its_own_file_with_its_password(
    client: Client, make_user: MakeUser, container: Container, in_app_loop: InAppLoop
) -> None:
    patient, other = await make_user(Role.PATIENT), await make_user(Role.PATIENT)
    doctor, admin = await make_user(Role.DOCTOR), await make_user(Role.ADMIN)
    await assign(client, patient, doctor)
    await assign(client, other, doctor)
    record = await create(client, patient)
    changed = await client.put(
        f"/api/records/{record['id']}/",
        json={"title": "v2", "record_type": "note", "content": "c2"},
        headers=patient.headers,
    )
    assert changed.status_code == 200
    await annotate(client, doctor, record["id"])
    kept = await create(client, other)
    keyed = await client.post(
        "/api/records/",
        json={"title": "keyed", "record_type": "note", "content": "c"},
        headers={**patient.headers, "Idempotency-Key": secrets.token_hex(8)},
    )
    assert keyed.status_code == 201
    answers = "SELECT count(*) FROM idempotency_key WHERE user_id = :u"
    assert await count(container, in_app_loop, answers, patient.id) == 1
    login = {"email": patient.email, "password": patient.password}
    assert (await client.post("/api/auth/login/", json=login)).status_code == 200
    trail_before = await audit_of(client, admin, patient.id)

    done = await erase(client, patient, patient.id, password=patient.password)
    assert done.status_code == 204, done.text

    rid = record["id"]
    for path in (
        f"/api/records/{rid}/",
        f"/api/records/{rid}/versions/",
        f"/api/records/{rid}/annotations/",
    ):
        assert (await client.get(path, headers=doctor.headers)).status_code == 404, path
    listed = await client.get(
        "/api/records/", params={"patient_id": str(patient.id)}, headers=doctor.headers
    )
    assert listed.status_code == 404
    assert (await client.post("/api/auth/login/", json=login)).status_code == 401
    # The account is no longer the person: name and email replaced.
    users = await client.get("/api/users/", params={"limit": "100"}, headers=admin.headers)
    while (
        patient.id not in {u["id"] for u in users.json()["items"]} and users.json()["next_cursor"]
    ):
        users = await client.get(
            "/api/users/",
            params={"limit": "100", "cursor": users.json()["next_cursor"]},
            headers=admin.headers,
        )
    [entry] = [u for u in users.json()["items"] if u["id"] == str(patient.id)]
    assert patient.email not in str(entry)
    assert entry["full_name"] == "Erased patient"
    assert entry["is_active"] is False
    # The assignment ended; the doctor still reads the other file.
    mine = await client.get("/api/doctors/patients/", headers=doctor.headers)
    assert str(patient.id) not in mine.text
    other_read = await client.get(f"/api/records/{kept['id']}/", headers=doctor.headers)
    assert other_read.status_code == 200
    assert other_read.json()["title"] == kept["title"]
    # The stored first answer (it carries the record) is gone too.
    assert await count(container, in_app_loop, answers, patient.id) == 0
    # The trail keeps every row it had, and the erasure is one more.
    trail_after = await audit_of(client, admin, patient.id)
    assert {e["id"] for e in trail_before} <= {e["id"] for e in trail_after}
    erasures = [e for e in trail_after if e["action"] == "patient.erase"]
    assert [(e["actor_id"], e["outcome"]) for e in erasures] == [(str(patient.id), "success")]


async def test_a_wrong_or_missing_password_erases_nothing(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    record = await create(client, patient)
    for body in ({"password": "not-" + patient.password}, {}):
        refused = await erase(client, patient, patient.id, **body)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert patient.password not in refused.text
    read = await client.get(f"/api/records/{record['id']}/", headers=patient.headers)
    assert read.status_code == 200


async def test_who_may_erase(client: Client, make_user: MakeUser) -> None:
    patient, stranger = await make_user(Role.PATIENT), await make_user(Role.PATIENT)
    doctor, admin = await make_user(Role.DOCTOR), await make_user(Role.ADMIN)
    await assign(client, patient, doctor)
    record = await create(client, patient)
    assert (
        await erase(client, stranger, patient.id, password=stranger.password)
    ).status_code == 404
    assert (await erase(client, doctor, patient.id)).status_code == 403
    assert (await erase(client, admin, doctor.id)).status_code == 404  # not a patient
    assert (await erase(client, admin, admin.id)).status_code == 404
    still = await client.get(f"/api/records/{record['id']}/", headers=patient.headers)
    assert still.status_code == 200
    assert (await erase(client, admin, patient.id)).status_code == 204
    assert (await erase(client, admin, patient.id)).status_code == 404  # already erased
    bad = await client.post(
        f"/api/patients/{patient.id}/erase/", json={"pasword": "x"}, headers=admin.headers
    )
    assert bad.status_code == 400
    anonymous = await client.post(f"/api/patients/{patient.id}/erase/", json={})
    assert anonymous.status_code == 401


async def test_a_read_racing_the_erasure_gets_the_data_with_its_audit_row_or_404(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor, admin = (
        await make_user(Role.PATIENT),
        await make_user(Role.DOCTOR),
        await make_user(Role.ADMIN),
    )
    await assign(client, patient, doctor)
    record = await create(client, patient)
    reads = 24

    async def read(i: int) -> Any:
        headers = {**doctor.headers, "X-Request-ID": f"race-{i}-{secrets.token_hex(4)}"}
        return await client.get(f"/api/records/{record['id']}/", headers=headers)

    *answers, erased = await asyncio.gather(
        *(read(i) for i in range(reads)), erase(client, admin, patient.id)
    )
    assert erased.status_code == 204
    assert {a.status_code for a in answers} <= {200, 404}
    trail = await audit_of(client, admin, patient.id)
    audited = {
        e["request_id"] for e in trail if e["action"] == "record.read" and e["outcome"] == "success"
    }
    for answer in answers:
        if answer.status_code == 200:
            assert answer.json()["title"] == record["title"]
            assert answer.headers["x-request-id"] in audited
    after = await read(reads)
    assert after.status_code == 404
