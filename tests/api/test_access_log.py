"""A patient's own access log over HTTP, on both backends."""

from __future__ import annotations

import asyncio

from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.domain.users import Role
from tests.api.conftest import MakeUser
from tests.api.test_records_api import assign, create

Client = AsyncTestClient[Litestar]
URL = "/api/records/access-log/"
PROBLEM = "application/problem+json"


async def test_a_patient_sees_who_read_and_changed_their_records(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    doctor = await make_user(Role.DOCTOR, full_name="Dr. Gregory House")
    record = await create(client, patient)
    await assign(client, patient, doctor)
    read = await client.get(f"/api/records/{record['id']}/", headers=doctor.headers)
    assert read.status_code == 200

    response = await client.get(URL, headers=patient.headers)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    items = response.json()["items"]
    by_doctor = [i for i in items if i["actor_id"] == str(doctor.id)]
    assert by_doctor[0]["actor_name"] == "Dr. Gregory House"
    assert by_doctor[0]["actor_role"] == "doctor"
    assert by_doctor[0]["target_id"] == record["id"]
    assert by_doctor[0]["outcome"] == "success"
    assert "client_address" not in by_doctor[0]
    times = [i["occurred_at"] for i in items]
    assert times == sorted(times, reverse=True)


async def test_a_patient_sees_only_their_own_file(client: Client, make_user: MakeUser) -> None:
    patient, other = await make_user(Role.PATIENT), await make_user(Role.PATIENT)
    record = await create(client, patient)

    response = await client.get(URL, headers=other.headers)

    assert response.status_code == 200
    assert record["id"] not in {i["target_id"] for i in response.json()["items"]}


async def test_pages_walk_the_whole_log_once(client: Client, make_user: MakeUser) -> None:
    patient = await make_user(Role.PATIENT)
    for _ in range(3):
        await create(client, patient)
    everything = (await client.get(URL, params={"limit": 100}, headers=patient.headers)).json()

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(URL, params=params, headers=patient.headers)).json()
        seen += [i["id"] for i in page["items"]]
        if not (cursor := page["next_cursor"]):
            break

    # Reading the log is itself logged, after each page: the walk sees the
    # events that existed when it began, plus the first read, once each.
    assert len(seen) == len(set(seen))
    assert {i["id"] for i in everything["items"]} <= set(seen)


async def test_doctors_and_admins_have_no_access_log(client: Client, make_user: MakeUser) -> None:
    for role in (Role.DOCTOR, Role.ADMIN):
        user = await make_user(role)
        response = await client.get(URL, headers=user.headers)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith(PROBLEM)


async def test_bad_paging_is_a_problem(client: Client, make_user: MakeUser) -> None:
    patient = await make_user(Role.PATIENT)
    cases = [({"limit": 0}, 400), ({"limit": 101}, 400), ({"cursor": "not-a-cursor"}, 422)]
    for params, status in cases:
        response = await client.get(URL, params=params, headers=patient.headers)
        assert response.status_code == status, params
        assert response.headers["content-type"].startswith(PROBLEM)


async def test_the_access_log_needs_a_token(client: Client) -> None:
    assert (await client.get(URL)).status_code == 401


async def test_a_flood_of_refused_attempts_is_one_entry_and_real_ones_stay_on_page_one(
    client: Client, make_user: MakeUser
) -> None:
    """Issue 13, item 3: one actor's refused run is one entry with count and last_occurred_at."""
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    impostor = await make_user(Role.PATIENT, full_name="Dr. Gregory House (Cardiology)")
    record = await create(client, patient)
    await assign(client, patient, doctor)
    assert (
        await client.get(f"/api/records/{record['id']}/", headers=doctor.headers)
    ).status_code == 200
    flood = 60
    refused = await asyncio.gather(
        *(
            client.get(
                "/api/records/", params={"patient_id": str(patient.id)}, headers=impostor.headers
            )
            for _ in range(flood)
        )
    )
    assert {r.status_code for r in refused} == {404}

    page = (await client.get(URL, params={"limit": 5}, headers=patient.headers)).json()

    by_impostor = [i for i in page["items"] if i["actor_id"] == str(impostor.id)]
    assert len(by_impostor) == 1
    (entry,) = by_impostor
    assert entry["count"] == flood
    assert entry["outcome"] == "not_found"
    assert entry["actor_name"] == "Dr. Gregory House (Cardiology)"
    assert entry["actor_role"] == "patient"  # beside the name it chose
    assert entry["last_occurred_at"] >= entry["occurred_at"]
    # The doctor's real read is still on the first page, one entry per access.
    reads = [i for i in page["items"] if i["actor_id"] == str(doctor.id)]
    assert any(i["action"] == "record.read" and i["count"] == 1 for i in reads)


async def test_successful_accesses_are_never_collapsed(client: Client, make_user: MakeUser) -> None:
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    record = await create(client, patient)
    await assign(client, patient, doctor)
    for _ in range(4):
        read = await client.get(f"/api/records/{record['id']}/", headers=doctor.headers)
        assert read.status_code == 200
    items = (await client.get(URL, params={"limit": 100}, headers=patient.headers)).json()["items"]
    reads = [i for i in items if i["actor_id"] == str(doctor.id) and i["action"] == "record.read"]
    assert [i["count"] for i in reads] == [1, 1, 1, 1]
    assert all(i["last_occurred_at"] == i["occurred_at"] for i in reads)


async def test_the_patient_filters_by_outcome(client: Client, make_user: MakeUser) -> None:
    patient, stranger = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    record = await create(client, patient)
    hidden = await client.get(f"/api/records/{record['id']}/", headers=stranger.headers)
    assert hidden.status_code == 404

    only = await client.get(URL, params={"outcome": "not_found"}, headers=patient.headers)
    assert only.status_code == 200
    items = only.json()["items"]
    assert items
    assert {i["outcome"] for i in items} == {"not_found"}
    assert items[0]["actor_id"] == str(stranger.id)
    ok = (await client.get(URL, params={"outcome": "success"}, headers=patient.headers)).json()
    assert {i["outcome"] for i in ok["items"]} == {"success"}
    bad = await client.get(URL, params={"outcome": "maybe"}, headers=patient.headers)
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith(PROBLEM)


async def test_pages_over_collapsed_runs_count_every_attempt_once(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    strangers = [await make_user(Role.DOCTOR) for _ in range(3)]
    await create(client, patient)
    for round_ in range(3):
        for who in strangers:
            for _ in range(round_ + 1):
                response = await client.get(
                    "/api/records/", params={"patient_id": str(patient.id)}, headers=who.headers
                )
                assert response.status_code == 404
    everything = 0
    cursor = None
    while True:
        params = {"limit": 2, "outcome": "not_found", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(URL, params=params, headers=patient.headers)).json()
        assert len(page["items"]) <= 2
        everything += sum(i["count"] for i in page["items"])
        if not (cursor := page["next_cursor"]):
            break
    assert everything == 3 * (1 + 2 + 3)


async def test_each_patient_sees_the_doctors_read_of_every_file(
    client: Client, make_user: MakeUser
) -> None:
    doctor = await make_user(Role.DOCTOR, full_name="Dr. Lisa Cuddy")
    patients = [await make_user(Role.PATIENT) for _ in range(3)]
    for patient in patients:
        await create(client, patient)
        await assign(client, patient, doctor)
    unseen = await make_user(Role.PATIENT)
    await create(client, unseen)

    listed = await client.get("/api/records/", headers=doctor.headers)
    assert listed.status_code == 200
    assert {i["patient_id"] for i in listed.json()["items"]} == {str(p.id) for p in patients}

    for patient in patients:
        log = (await client.get(URL, headers=patient.headers)).json()["items"]
        lists = [i for i in log if i["actor_id"] == str(doctor.id) and i["action"] == "record.list"]
        assert len(lists) == 1, log
        assert lists[0]["outcome"] == "success"
        assert lists[0]["actor_name"] == "Dr. Lisa Cuddy"
    # A file none of whose records were returned shows no read by the doctor.
    log = (await client.get(URL, headers=unseen.headers)).json()["items"]
    assert not [i for i in log if i["actor_id"] == str(doctor.id)]


async def test_a_page_audits_only_the_files_it_returned(
    client: Client, make_user: MakeUser
) -> None:
    doctor = await make_user(Role.DOCTOR)
    old, new = await make_user(Role.PATIENT), await make_user(Role.PATIENT)
    await create(client, old, recorded_at="2020-01-01T00:00:00Z")
    await create(client, new, recorded_at="2024-01-01T00:00:00Z")
    for patient in (old, new):
        await assign(client, patient, doctor)

    page = await client.get("/api/records/", params={"limit": 1}, headers=doctor.headers)
    assert [i["patient_id"] for i in page.json()["items"]] == [str(new.id)]

    def doctor_lists(items: list[dict[str, str]]) -> list[dict[str, str]]:
        return [
            i for i in items if i["actor_id"] == str(doctor.id) and i["action"] == "record.list"
        ]

    assert len(doctor_lists((await client.get(URL, headers=new.headers)).json()["items"])) == 1
    assert doctor_lists((await client.get(URL, headers=old.headers)).json()["items"]) == []
