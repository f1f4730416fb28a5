"""REST: the caller's notifications, marking read, the doctors' feed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.bootstrap import Container
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.users import Role
from tests.api.conftest import InAppLoop, MakeUser

Client = AsyncTestClient[Litestar]
PROBLEM = "application/problem+json"
Notify = Callable[[UUID, int], Awaitable[list[UUID]]]


@pytest.fixture
def notify(container: Container, in_app_loop: InAppLoop) -> Notify:
    """Store `count` notifications for `recipient` (as the records services do)."""

    async def run(recipient: UUID, count: int) -> list[UUID]:
        async def store() -> list[UUID]:
            ids = []
            for i in range(count):
                async with container.uow() as uow:
                    note = await uow.notifications.add(
                        recipient,
                        NotificationKind.ASSIGNMENT_CREATED,
                        {"assignment_id": str(uuid4()), "n": str(i)},
                        datetime.now(UTC),
                    )
                    await uow.commit()
                ids.append(note.id)
            return ids

        return await in_app_loop(store)

    return run


async def test_list_is_newest_first_and_pages_without_overlap(
    client: Client, notify: Notify, make_user: MakeUser
) -> None:
    doctor = await make_user(Role.DOCTOR)
    ids = await notify(doctor.id, 5)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/notifications/", params=params, headers=doctor.headers)
        assert response.status_code == 200
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [str(i) for i in reversed(ids)]


async def test_items_carry_ids_and_kinds(
    client: Client, notify: Notify, make_user: MakeUser
) -> None:
    doctor = await make_user(Role.DOCTOR)
    (note,) = await notify(doctor.id, 1)
    body = (await client.get("/api/notifications/", headers=doctor.headers)).json()
    (item,) = body["items"]
    assert item["id"] == str(note)
    assert item["kind"] == "assignment.created"
    assert set(item["payload"]) == {"assignment_id", "n"}
    assert item["read_at"] is None
    assert body["next_cursor"] is None


async def test_after_gives_what_is_newer_oldest_first(
    client: Client, notify: Notify, make_user: MakeUser
) -> None:
    doctor = await make_user(Role.DOCTOR)
    ids = await notify(doctor.id, 6)
    got: list[str] = []
    cursor = None
    while True:
        params = {"after": str(ids[1]), "limit": 3, **({"cursor": cursor} if cursor else {})}
        body = (
            await client.get("/api/notifications/", params=params, headers=doctor.headers)
        ).json()
        got += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert got == [str(i) for i in ids[2:]]


async def test_mark_read_and_unread_filter(
    client: Client, notify: Notify, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    first, second = await notify(patient.id, 2)
    response = await client.post(f"/api/notifications/{first}/read/", headers=patient.headers)
    assert response.status_code == 204
    again = await client.post(f"/api/notifications/{first}/read/", headers=patient.headers)
    assert again.status_code == 204
    unread = await client.get(
        "/api/notifications/", params={"unread": "true"}, headers=patient.headers
    )
    assert [item["id"] for item in unread.json()["items"]] == [str(second)]
    everything = await client.get("/api/notifications/", headers=patient.headers)
    read = {item["id"]: item["read_at"] for item in everything.json()["items"]}
    assert read[str(first)] is not None
    assert read[str(second)] is None


async def test_nobody_sees_or_marks_another_users_notification(
    client: Client, notify: Notify, make_user: MakeUser
) -> None:
    owner, other = await make_user(Role.DOCTOR), await make_user(Role.DOCTOR)
    (note,) = await notify(owner.id, 1)
    response = await client.post(f"/api/notifications/{note}/read/", headers=other.headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    listed = await client.get("/api/notifications/", headers=other.headers)
    assert listed.json()["items"] == []
    after = await client.get(
        "/api/notifications/", params={"after": str(note)}, headers=other.headers
    )
    assert after.status_code in (400, 422)
    owner_view = await client.get("/api/notifications/", headers=owner.headers)
    assert owner_view.json()["items"][0]["read_at"] is None


async def test_unknown_id_is_404(client: Client, make_user: MakeUser) -> None:
    user = await make_user()
    response = await client.post(f"/api/notifications/{uuid4()}/read/", headers=user.headers)
    assert response.status_code == 404


async def test_bad_parameters_are_client_errors(client: Client, make_user: MakeUser) -> None:
    user = await make_user()
    for params in ({"limit": "0"}, {"limit": "101"}, {"after": "nope"}, {"cursor": "%%%"}):
        response = await client.get("/api/notifications/", params=params, headers=user.headers)
        assert response.status_code in (400, 422), params
        assert response.headers["content-type"].startswith(PROBLEM)
    bad_id = await client.post("/api/notifications/not-a-uuid/read/", headers=user.headers)
    assert bad_id.status_code in (400, 404)


async def test_requires_a_token(client: Client) -> None:
    assert (await client.get("/api/notifications/")).status_code == 401
    assert (await client.get("/api/doctors/notifications/")).status_code == 401


async def test_doctors_feed_is_for_doctors(
    client: Client, notify: Notify, make_user: MakeUser
) -> None:
    doctor, patient = await make_user(Role.DOCTOR), await make_user(Role.PATIENT)
    (note,) = await notify(doctor.id, 1)
    response = await client.get("/api/doctors/notifications/", headers=doctor.headers)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [str(note)]
    forbidden = await client.get("/api/doctors/notifications/", headers=patient.headers)
    assert forbidden.status_code == 403
