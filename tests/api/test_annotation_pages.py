"""Annotations on a record come in keyset pages (issue 13, item 6), and every read
shows in the patient's access log (item 1, for this route)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.domain.users import Role
from tests.api.conftest import MakeUser
from tests.api.test_records_api import assign, create

Client = AsyncTestClient[Litestar]
PROBLEM = "application/problem+json"


async def test_annotation_pages_hold_each_annotation_once_oldest_first(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    await assign(client, patient, doctor)
    record = await create(client, patient)
    made = []
    for n in range(5):
        response = await client.post(
            "/api/doctors/annotations/",
            json={"record_id": record["id"], "body": f"note {n}"},
            headers=doctor.headers,
        )
        assert response.status_code == 201
        made.append(response.json()["id"])
    url = f"/api/records/{record['id']}/annotations/"

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await client.get(url, params=params, headers=patient.headers)
        assert page.status_code == 200
        assert len(page.json()["items"]) <= 2
        seen += [a["id"] for a in page.json()["items"]]
        if not (cursor := page.json()["next_cursor"]):
            break

    assert seen == made
    for params, status in (({"limit": 0}, 400), ({"limit": 101}, 400), ({"cursor": "x"}, 422)):
        bad = await client.get(url, params=params, headers=patient.headers)
        assert bad.status_code == status, params
        assert bad.headers["content-type"].startswith(PROBLEM)


async def test_a_doctors_read_of_annotations_shows_in_the_patients_access_log(
    client: Client, make_user: MakeUser
) -> None:
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    await assign(client, patient, doctor)
    record = await create(client, patient)
    read = await client.get(f"/api/records/{record['id']}/annotations/", headers=doctor.headers)
    assert read.status_code == 200

    log = await client.get(
        "/api/records/access-log/", params={"limit": 100}, headers=patient.headers
    )
    entries = [
        (e["action"], e["target_id"])
        for e in log.json()["items"]
        if e["actor_id"] == str(doctor.id)
    ]
    assert ("annotation.list", record["id"]) in entries
