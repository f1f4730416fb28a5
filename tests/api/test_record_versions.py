"""A record keeps every version, and says who made each one (issue 13, item 4)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.bootstrap import Container
from healthrecords.domain.users import Role
from tests.api.conftest import InAppLoop, MakeUser, TestUser
from tests.api.test_records_api import assign, body, create

Client = AsyncTestClient[Litestar]
PROBLEM = "application/problem+json"


async def put(client: Client, who: TestUser, record_id: str, title: str) -> dict[str, Any]:
    response = await client.put(
        f"/api/records/{record_id}/", json=body(title, content=f"{title} text"), headers=who.headers
    )
    assert response.status_code == 200, response.text
    changed: dict[str, Any] = response.json()
    return changed


async def test_a_patients_edit_of_a_doctors_record_keeps_the_doctors_version(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    await assign(client, patient, doctor)
    record = await create(client, doctor, patient_id=str(patient.id), title="Doctor's finding")
    assert record["updated_by"] == str(doctor.id)

    changed = await put(client, patient, record["id"], "Rewritten by the patient")

    assert changed["author_id"] == str(doctor.id)
    assert changed["updated_by"] == str(patient.id)
    got = await client.get(f"/api/records/{record['id']}/", headers=doctor.headers)
    assert got.json()["updated_by"] == str(patient.id)
    versions = await client.get(f"/api/records/{record['id']}/versions/", headers=doctor.headers)
    assert versions.status_code == 200
    items = versions.json()["items"]
    assert [(v["version"], v["title"], v["updated_by"]) for v in items] == [
        (2, "Rewritten by the patient", str(patient.id)),
        (1, "Doctor's finding", str(doctor.id)),
    ]
    assert set(items[0]) == {
        "version",
        "title",
        "record_type",
        "content",
        "recorded_at",
        "updated_at",
        "updated_by",
    }
    assert items[1]["content"] == record["content"]
    assert versions.json()["next_cursor"] is None
    one = await client.get(f"/api/records/{record['id']}/versions/1/", headers=patient.headers)
    assert one.status_code == 200
    assert one.json() == items[1]
    current = await client.get(f"/api/records/{record['id']}/versions/2/", headers=patient.headers)
    assert current.json() == items[0]


async def test_version_pages_walk_every_version_once_newest_first(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    record = await create(client, patient, title="v1")
    for n in range(2, 6):
        await put(client, patient, record["id"], f"v{n}")
    url = f"/api/records/{record['id']}/versions/"

    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(url, params=params, headers=patient.headers)).json()
        assert len(page["items"]) <= 2
        seen += [v["version"] for v in page["items"]]
        if not (cursor := page["next_cursor"]):
            break

    assert seen == [5, 4, 3, 2, 1]


async def test_concurrent_edits_keep_each_version_exactly_once(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    record = await create(client, patient, title="v1")
    url = f"/api/records/{record['id']}/"
    answers = await asyncio.gather(
        *(
            client.put(url, json=body(f"edit {i}"), headers={**patient.headers, "If-Match": '"1"'})
            for i in range(5)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 412, 412, 412, 412]
    versions = (await client.get(url + "versions/", headers=patient.headers)).json()["items"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["title"] == "v1"


async def test_versions_are_hidden_from_whoever_may_not_read_the_record(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    strangers = [
        await make_user(Role.PATIENT),
        await make_user(Role.DOCTOR),
        await make_user(Role.ADMIN),
    ]
    record = await create(client, patient)
    await put(client, patient, record["id"], "second")
    assignment = await assign(client, patient, doctor)
    revoke = await client.delete(f"/api/assignments/{assignment['id']}/", headers=patient.headers)
    assert revoke.status_code == 204
    for who in [*strangers, doctor]:
        for path in ("versions/", "versions/1/"):
            response = await client.get(f"/api/records/{record['id']}/{path}", headers=who.headers)
            assert response.status_code == 404, (who.role, path)
            assert response.json()["detail"] == "No such record."


async def test_a_deleted_records_versions_are_hidden_but_kept(
    client: Client, make_user: MakeUser, container: Container, in_app_loop: InAppLoop
) -> None:
    patient = await make_user(Role.PATIENT)
    record = await create(client, patient, title="first")
    await put(client, patient, record["id"], "second")
    gone = await client.delete(f"/api/records/{record['id']}/", headers=patient.headers)
    assert gone.status_code == 204

    for path in ("versions/", "versions/1/"):
        response = await client.get(f"/api/records/{record['id']}/{path}", headers=patient.headers)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith(PROBLEM)

    async def kept() -> list[str]:
        async with container.uow() as uow:
            return [v.title for v in await uow.record_versions.list(record_id(record), 10, None)]

    assert await in_app_loop(kept) == ["first"]


def record_id(record: dict[str, Any]) -> UUID:
    return UUID(record["id"])


async def test_reading_versions_shows_in_the_patients_access_log(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    await assign(client, patient, doctor)
    record = await create(client, patient)
    await put(client, patient, record["id"], "second")
    assert (
        await client.get(f"/api/records/{record['id']}/versions/", headers=doctor.headers)
    ).status_code == 200
    assert (
        await client.get(f"/api/records/{record['id']}/versions/1/", headers=doctor.headers)
    ).status_code == 200

    log = await client.get(
        "/api/records/access-log/", params={"limit": 100}, headers=patient.headers
    )
    by_doctor = {
        i["action"]
        for i in log.json()["items"]
        if i["actor_id"] == str(doctor.id) and i["target_id"] == record["id"]
    }
    assert {"record.versions.list", "record.version.read"} <= by_doctor


async def test_bad_version_requests_are_problems(client: Client, make_user: MakeUser) -> None:
    patient = await make_user(Role.PATIENT)
    record = await create(client, patient)
    base = f"/api/records/{record['id']}/versions/"
    for path, status in (("2/", 404), ("0/", 404), ("99999999999999999999/", 404), ("x/", 404)):
        response = await client.get(base + path, headers=patient.headers)
        assert response.status_code == status, path
        assert response.headers["content-type"].startswith(PROBLEM)
    for params, status in (({"cursor": "nope"}, 422), ({"limit": 0}, 400)):
        response = await client.get(base, params=params, headers=patient.headers)
        assert response.status_code == status, params
        assert response.headers["content-type"].startswith(PROBLEM)
    assert (await client.get(base)).status_code == 401
