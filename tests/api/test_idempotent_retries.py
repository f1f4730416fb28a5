"""Idempotency-Key on the POSTs that create something, on both backends."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from healthrecords.adapters.sqlalchemy.models import IdempotencyKeyRow
from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.api.clocked import clocked_client
from tests.api.conftest import MakeUser, TestUser
from tests.clock import MovableClock
from tests.people import seed_user

Client = AsyncTestClient[Litestar]
PROBLEM = "application/problem+json"


def record(title: str = "Asthma", **extra: Any) -> dict[str, Any]:
    return {"title": title, "record_type": "condition", "content": "Since 2019.", **extra}


def keyed(who: TestUser, key: str | bytes) -> dict[str, Any]:
    return {**who.headers, "Idempotency-Key": key}


def in_the_past() -> MovableClock:
    """A clock 25 h back, so moving it 24 h forward never writes audit events
    dated in the future into the session's shared database."""
    return MovableClock(datetime.now(UTC) - timedelta(hours=25))


def new_key() -> str:
    return f'"{uuid.uuid4()}"'


async def records_of(client: Client, who: TestUser) -> list[dict[str, Any]]:
    listed = await client.get("/api/records/", params={"limit": 100}, headers=who.headers)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


async def assigned(client: Client, patient: TestUser, doctor: TestUser) -> dict[str, Any]:
    made = await client.post(
        "/api/assignments/", json={"doctor_id": str(doctor.id)}, headers=patient.headers
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


async def test_a_retried_record_post_returns_the_first_answer_and_creates_nothing(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    key = new_key()
    first = await client.post("/api/records/", json=record(), headers=keyed(patient, key))
    assert first.status_code == 201, first.text
    # Same body in another key order and spacing: the same request.
    again = await client.post(
        "/api/records/",
        content=b'{ "content": "Since 2019.", "record_type": "condition", "title": "Asthma" }',
        headers={**keyed(patient, key), "Content-Type": "application/json"},
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    assert [r["id"] for r in await records_of(client, patient)] == [first.json()["id"]]


async def test_the_same_key_with_another_body_is_422_and_changes_nothing(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    key = new_key()
    first = await client.post("/api/records/", json=record(), headers=keyed(patient, key))
    assert first.status_code == 201
    other = await client.post(
        "/api/records/", json=record("Hay fever"), headers=keyed(patient, key)
    )
    assert other.status_code == 422
    assert other.headers["content-type"].startswith(PROBLEM)
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert "Hay fever" not in other.text
    assert "Asthma" not in other.text
    assert len(await records_of(client, patient)) == 1


async def test_another_users_same_key_is_independent(client: Client, make_user: MakeUser) -> None:
    alice, bob = await make_user(Role.PATIENT), await make_user(Role.PATIENT)
    key = new_key()
    a = await client.post("/api/records/", json=record("Alice's"), headers=keyed(alice, key))
    b = await client.post("/api/records/", json=record("Bob's"), headers=keyed(bob, key))
    assert a.status_code == b.status_code == 201
    assert b.json()["id"] != a.json()["id"]
    assert b.json()["title"] == "Bob's"
    assert "idempotent-replayed" not in b.headers
    assert len(await records_of(client, alice)) == len(await records_of(client, bob)) == 1


async def test_requests_without_a_key_are_not_deduplicated(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    for _ in range(2):
        made = await client.post("/api/records/", json=record(), headers=patient.headers)
        assert made.status_code == 201
    assert len(await records_of(client, patient)) == 2


async def test_concurrent_requests_with_one_key_create_exactly_one_record(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    key = new_key()
    answers = await asyncio.gather(
        *(
            client.post("/api/records/", json=record(), headers=keyed(patient, key))
            for _ in range(6)
        )
    )
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(await records_of(client, patient)) == 1


async def test_an_invalid_key_is_400_and_creates_nothing(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    for bad in ("", '""', "x" * 256, f'"{"x" * 256}"', "caf\u00e9".encode()):
        answer = await client.post("/api/records/", json=record(), headers=keyed(patient, bad))
        assert answer.status_code == 400, (bad, answer.text)
        assert answer.headers["content-type"].startswith(PROBLEM)
    longest = await client.post("/api/records/", json=record(), headers=keyed(patient, "k" * 255))
    assert longest.status_code == 201
    assert len(await records_of(client, patient)) == 1


async def test_a_request_that_failed_with_4xx_stores_no_answer(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    key = new_key()
    blank = await client.post("/api/records/", json=record(" "), headers=keyed(patient, key))
    assert blank.status_code == 422
    # The key is still free: the corrected request does the work.
    fixed = await client.post("/api/records/", json=record(), headers=keyed(patient, key))
    assert fixed.status_code == 201
    assert "idempotent-replayed" not in fixed.headers


async def test_a_replay_of_a_deleted_record_is_404(client: Client, make_user: MakeUser) -> None:
    patient = await make_user(Role.PATIENT)
    key = new_key()
    first = await client.post("/api/records/", json=record(), headers=keyed(patient, key))
    gone = await client.delete(f"/api/records/{first.json()['id']}/", headers=patient.headers)
    assert gone.status_code == 204
    again = await client.post("/api/records/", json=record(), headers=keyed(patient, key))
    assert again.status_code == 404
    assert "Asthma" not in again.text


async def test_a_doctor_whose_access_ended_gets_no_replay(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    assignment = await assigned(client, patient, doctor)
    key = new_key()
    body = record(patient_id=str(patient.id))
    first = await client.post("/api/records/", json=body, headers=keyed(doctor, key))
    assert first.status_code == 201
    revoked = await client.delete(f"/api/assignments/{assignment['id']}/", headers=patient.headers)
    assert revoked.status_code == 204
    again = await client.post("/api/records/", json=body, headers=keyed(doctor, key))
    assert again.status_code == 404
    assert "Asthma" not in again.text


async def test_a_retried_annotation_returns_the_first_answer(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    await assigned(client, patient, doctor)
    mine = await client.post("/api/records/", json=record(), headers=patient.headers)
    note = {"record_id": mine.json()["id"], "body": "Review inhaler use."}
    key = new_key()
    answers = [
        await client.post("/api/doctors/annotations/", json=note, headers=keyed(doctor, key))
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1].json() == answers[0].json()
    listed = await client.get(
        f"/api/records/{mine.json()['id']}/annotations/", headers=patient.headers
    )
    assert len(listed.json()["items"]) == 1
    other = await client.post(
        "/api/doctors/annotations/", json={**note, "body": "Other."}, headers=keyed(doctor, key)
    )
    assert other.status_code == 422


async def test_a_retried_assignment_returns_the_first_answer(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    key = new_key()
    body = {"doctor_id": str(doctor.id)}
    first = await client.post("/api/assignments/", json=body, headers=keyed(patient, key))
    assert first.status_code == 201
    revoked = await client.delete(
        f"/api/assignments/{first.json()['id']}/", headers=patient.headers
    )
    assert revoked.status_code == 204
    # A retry is not a new assignment: the first answer, and access stays revoked.
    again = await client.post("/api/assignments/", json=body, headers=keyed(patient, key))
    assert again.status_code == 201
    assert again.json() == first.json()
    active = await client.get("/api/assignments/", headers=patient.headers)
    assert active.json()["items"] == []


async def test_a_key_expires_after_24_hours(settings: Settings) -> None:
    clock = in_the_past()
    async with clocked_client(settings, clock) as (client, container):
        # The container's connections belong to the app's loop (see in_app_loop).
        patient = client.blocking_portal.call(lambda: seed_user(container, Role.PATIENT))
        key = new_key()
        first = await client.post("/api/records/", json=record(), headers=keyed(patient, key))
        assert first.status_code == 201
        clock.advance(24 * 3600 - 60)
        token, _ = container.access_tokens.issue(patient.id, Role.PATIENT, patient.session_id)
        fresh = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        within = await client.post("/api/records/", json=record(), headers=fresh)
        assert within.json() == first.json()
        clock.advance(61)
        token, _ = container.access_tokens.issue(patient.id, Role.PATIENT, patient.session_id)
        fresh = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        after = await client.post("/api/records/", json=record(), headers=fresh)
        assert after.status_code == 201
        assert after.json()["id"] != first.json()["id"]
        assert "idempotent-replayed" not in after.headers


async def test_expired_keys_are_purged_and_live_ones_kept(settings: Settings) -> None:
    clock = in_the_past()
    async with clocked_client(settings, clock) as (client, container):
        portal = client.blocking_portal
        patient = portal.call(lambda: seed_user(container, Role.PATIENT))

        async def keys_held() -> int:
            async with container.engine.connect() as conn:
                held = await conn.scalar(
                    select(func.count())
                    .select_from(IdempotencyKeyRow)
                    .where(IdempotencyKeyRow.user_id == patient.id)
                )
            return int(held or 0)

        old = await client.post("/api/records/", json=record(), headers=keyed(patient, "old"))
        assert old.status_code == 201
        clock.advance(12 * 3600)
        token, _ = container.access_tokens.issue(patient.id, Role.PATIENT, patient.session_id)
        young = {"Authorization": f"Bearer {token}", "Idempotency-Key": "young"}
        assert (await client.post("/api/records/", json=record(), headers=young)).is_success
        assert portal.call(keys_held) == 2
        clock.advance(12 * 3600)
        assert portal.call(container.expired_keys.purge) >= 1
        assert portal.call(keys_held) == 1
