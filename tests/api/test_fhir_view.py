"""The FHIR R4 view over HTTP, on both backends: every answer parses with the
R4B models of `fhir.resources` (nobody on this project wrote them)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from healthrecords.domain.users import Role
from tests.api.conftest import MakeUser, TestUser
from tests.api.fhir_files import (
    BASE,
    FHIR_TYPE,
    Client,
    FullFile,
    build_full_file,
    fhir_get,
    parsed,
)

LAB = "laboratory"


async def all_pages(client: Client, url: str, who: TestUser, **params: Any) -> list[dict[str, Any]]:
    bundles = [await fhir_get(client, url, who, **params)]
    while nxt := [link["url"] for link in bundles[-1]["link"] if link["relation"] == "next"]:
        bundles.append(await fhir_get(client, nxt[0].removeprefix(BASE), who))
        assert len(bundles) < 100
    for bundle in bundles:
        assert bundle["type"] == "searchset"
        assert "total" not in bundle
    return bundles


def resources(bundles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["resource"] for b in bundles for e in b.get("entry", [])]


async def test_everything_of_a_full_file_parses_and_holds_the_whole_file(
    client: Client, make_user: MakeUser
) -> None:
    file = await build_full_file(client, make_user)
    doctor = file.doctors[0]
    url = f"/fhir/Patient/{file.patient.id}/$everything"

    bundles = await all_pages(client, url, doctor, _count=3)

    found = resources(bundles)
    assert len(bundles) == 6  # 16 records, 3 a page
    by_key = {(r["resourceType"], r["id"]): r for r in found}
    expected = {(FHIR_TYPE[r["record_type"]], r["id"]) for r in file.records}
    expected |= {("Patient", str(file.patient.id))}
    expected |= {("Practitioner", str(d.id)) for d in file.doctors}
    assert set(by_key) == expected
    assert [r["resourceType"] for r in found].count("Patient") == 1
    assert by_key[("Patient", str(file.patient.id))]["name"] == [{"text": "Ada Lovelace"}]
    names = {by_key[("Practitioner", str(d.id))]["name"][0]["text"] for d in file.doctors}
    assert names == {"Dr. Joseph Lister", "Dr. Florence Nightingale"}
    # Records newest first across pages, each a match; the people are includes.
    matches = [e for b in bundles for e in b["entry"] if e["search"]["mode"] == "match"]
    newest_first = sorted(file.records, key=lambda r: (r["recorded_at"], r["id"]), reverse=True)
    assert [e["resource"]["id"] for e in matches] == [r["id"] for r in newest_first]
    for entry in (e for b in bundles for e in b["entry"]):
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{BASE}/fhir/{resource['resourceType']}/{resource['id']}"
    for record in file.records:
        resource = by_key[(FHIR_TYPE[record["record_type"]], record["id"])]
        assert resource["meta"]["versionId"] == str(record["version"])
    assert (
        by_key[(FHIR_TYPE[file.records[0]["record_type"]], file.records[0]["id"])]["meta"][
            "versionId"
        ]
        == "2"
    )


async def test_each_record_type_maps_as_the_readme_says(
    client: Client, make_user: MakeUser
) -> None:
    file = await build_full_file(client, make_user)
    patient = file.patient
    notes = {a["record_id"]: a for a in file.annotations}
    for record in file.records:
        fhir_type = FHIR_TYPE[record["record_type"]]
        response = await client.get(f"/fhir/{fhir_type}/{record['id']}", headers=patient.headers)
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == f'W/"{record["version"]}"'
        body = response.json()
        parsed(body)
        assert body["id"] == record["id"]
        assert body["meta"]["lastUpdated"].startswith(record["updated_at"][:19])
        title_field = {
            "MedicationStatement": "medicationCodeableConcept",
            "Immunization": "vaccineCode",
            "DocumentReference": "type",
        }.get(fhir_type, "code")
        assert body[title_field] == {"text": record["title"]}
        subject = "patient" if fhir_type in ("AllergyIntolerance", "Immunization") else "subject"
        assert body[subject] == {"reference": f"Patient/{patient.id}"}
        kind = "Patient" if record["author_id"] == str(patient.id) else "Practitioner"
        author = {"reference": f"{kind}/{record['author_id']}"}
        assert author_of(body) == author
        annotation = notes.get(record["id"])
        if fhir_type == "DocumentReference":
            attachment = body["content"][0]["attachment"]
            assert attachment["contentType"].startswith("text/plain")
            assert base64.b64decode(attachment["data"]).decode() == record["content"]
            written = [x["valueAnnotation"] for x in body.get("extension", [])]
        else:
            written = body.get("note", [])
        if fhir_type == "Observation":
            assert body["valueString"] == record["content"]
            category = {"lab_result": LAB, "vital_sign": "vital-signs"}[record["record_type"]]
            assert body["category"][0]["coding"][0]["code"] == category
        elif fhir_type != "DocumentReference" and record["content"]:
            assert written[0] == {
                "authorReference": author,
                "time": written[0]["time"],
                "text": record["content"],
            }
        if annotation is not None:
            assert written[-1]["text"] == annotation["body"]
            assert written[-1]["authorReference"] == {
                "reference": f"Practitioner/{annotation['author_id']}"
            }
        # The same id under another type is no such resource.
        other = "Condition" if fhir_type != "Condition" else "Procedure"
        wrong = await client.get(f"/fhir/{other}/{record['id']}", headers=patient.headers)
        assert wrong.status_code == 404


def author_of(body: dict[str, Any]) -> Any:
    for name in ("recorder", "informationSource"):
        if name in body:
            return body[name]
    if body["resourceType"] == "Immunization":
        return body["performer"][0]["actor"]
    key = "performer" if body["resourceType"] == "Observation" else "author"
    return body[key][0]


async def test_searches_page_by_keyset_and_observation_category_narrows(
    client: Client, make_user: MakeUser
) -> None:
    file = await build_full_file(client, make_user)
    doctor = file.doctors[1]
    for fhir_type in sorted(set(FHIR_TYPE.values())):
        bundles = await all_pages(
            client, f"/fhir/{fhir_type}", doctor, patient=str(file.patient.id), _count=1
        )
        found = resources(bundles)
        expected = file.of_type(fhir_type)
        assert sorted(r["id"] for r in found) == sorted(r["id"] for r in expected)
        assert len(bundles) == len(expected)  # one a page, and no empty last page
    labs = await all_pages(
        client, "/fhir/Observation", doctor, patient=f"Patient/{file.patient.id}", category=LAB
    )
    assert {r["id"] for r in resources(labs)} == {
        r["id"] for r in file.records if r["record_type"] == "lab_result"
    }
    none = await fhir_get(
        client, "/fhir/Observation", doctor, patient=str(file.patient.id), category="exam"
    )
    assert "entry" not in none  # FHIR JSON has no empty arrays


async def test_observations_of_two_kinds_come_newest_first_without_gaps(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    made = []
    for i in range(7):
        kind = "lab_result" if i % 3 else "vital_sign"
        body = {"title": f"o{i}", "record_type": kind, "content": str(i)}
        # Two share an instant: the id breaks the tie, as in the REST pages.
        body["recorded_at"] = f"2025-01-0{1 + min(i, 5)}T00:00:00+00:00"
        response = await client.post("/api/records/", json=body, headers=patient.headers)
        made.append(response.json())
    bundles = await all_pages(
        client, "/fhir/Observation", patient, patient=str(patient.id), _count=2
    )
    got = [r["id"] for r in resources(bundles)]
    newest_first = sorted(made, key=lambda r: (r["recorded_at"], r["id"]), reverse=True)
    assert got == [r["id"] for r in newest_first]


async def test_practitioners_show_only_to_who_sees_what_they_wrote(
    client: Client, make_user: MakeUser
) -> None:
    file = await build_full_file(client, make_user)
    stranger = await make_user(Role.DOCTOR)
    other_patient = await make_user(Role.PATIENT)
    for doctor in file.doctors:
        for reader in (file.patient, *file.doctors):
            await fhir_get(client, f"/fhir/Practitioner/{doctor.id}", reader)
        for outsider in (stranger, other_patient):
            await fhir_get(client, f"/fhir/Practitioner/{doctor.id}", outsider, 404)
    # A doctor who wrote nothing here is no Practitioner to the patient.
    await fhir_get(client, f"/fhir/Practitioner/{stranger.id}", file.patient, 404)
    await fhir_get(client, f"/fhir/Practitioner/{file.patient.id}", file.patient, 404)


async def test_the_patient_sees_each_fhir_read_in_its_access_log(
    client: Client, make_user: MakeUser
) -> None:
    """One audit event per read of the file, even when the reads come at once."""
    file = await build_full_file(client, make_user)
    doctor = file.doctors[0]
    observation = file.of_type("Observation")[0]
    reads = 12
    answers = await asyncio.gather(
        *(
            client.get(f"/fhir/Observation/{observation['id']}", headers=doctor.headers)
            for _ in range(reads // 2)
        ),
        *(
            client.get(f"/fhir/Patient/{file.patient.id}/$everything", headers=doctor.headers)
            for _ in range(reads // 2)
        ),
    )
    assert {a.status_code for a in answers} == {200}

    log = await client.get(
        "/api/records/access-log/", params={"limit": 100}, headers=file.patient.headers
    )

    items = [i for i in log.json()["items"] if i["actor_id"] == str(doctor.id)]
    fhir = [i for i in items if i["action"].startswith("fhir.")]
    assert len([i for i in fhir if i["action"] == "fhir.read"]) == reads // 2
    assert len([i for i in fhir if i["action"] == "fhir.everything"]) == reads // 2
    assert {i["target_id"] for i in fhir if i["action"] == "fhir.read"} == {observation["id"]}
    assert all(i["actor_name"] == "Dr. Joseph Lister" for i in fhir)


async def test_revoking_the_assignment_ends_fhir_access_at_once(
    client: Client, make_user: MakeUser
) -> None:
    file: FullFile = await build_full_file(client, make_user)
    doctor = file.doctors[0]
    listing = await client.get("/api/assignments/", headers=file.patient.headers)
    (mine,) = [a for a in listing.json()["items"] if a["doctor_id"] == str(doctor.id)]
    revoked = await client.delete(f"/api/assignments/{mine['id']}/", headers=file.patient.headers)
    assert revoked.status_code == 204
    everything = f"/fhir/Patient/{file.patient.id}/$everything"
    answers = await asyncio.gather(
        *(client.get(everything, headers=doctor.headers) for _ in range(8))
    )
    assert {a.status_code for a in answers} == {404}
