"""A patient file with every record type, annotations and two doctors, made over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.domain.records import RecordType
from healthrecords.domain.users import Role
from tests.api.conftest import MakeUser, TestUser

Client = AsyncTestClient[Litestar]
FHIR_JSON = "application/fhir+json"
BASE = "http://testserver.local"
FHIR_TYPE = {
    "condition": "Condition",
    "medication": "MedicationStatement",
    "allergy": "AllergyIntolerance",
    "lab_result": "Observation",
    "vital_sign": "Observation",
    "immunization": "Immunization",
    "procedure": "Procedure",
    "note": "DocumentReference",
}


@dataclass
class FullFile:
    patient: TestUser
    doctors: list[TestUser]
    records: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)

    def of_type(self, fhir_type: str) -> list[dict[str, Any]]:
        return [r for r in self.records if FHIR_TYPE[r["record_type"]] == fhir_type]


async def ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    found: dict[str, Any] = response.json()
    return found


async def build_full_file(client: Client, make_user: MakeUser) -> FullFile:
    """Every record type twice: once by the patient, once by one of two doctors
    (alternating), each doctor's record annotated by the other; one empty content."""
    patient = await make_user(Role.PATIENT, full_name="Ada Lovelace")
    doctors = [
        await make_user(Role.DOCTOR, full_name="Dr. Joseph Lister"),
        await make_user(Role.DOCTOR, full_name="Dr. Florence Nightingale"),
    ]
    file = FullFile(patient, doctors)
    for doctor in doctors:
        await ok(
            await client.post(
                "/api/assignments/", json={"doctor_id": str(doctor.id)}, headers=patient.headers
            )
        )
    for i, kind in enumerate(RecordType):
        when = f"2025-0{1 + i % 9}-1{i % 9}T08:30:00+00:00"
        mine = {
            "title": f"{kind.value} title",
            "record_type": kind.value,
            "content": "" if kind is RecordType.PROCEDURE else f"{kind.value} content ✓",
            "recorded_at": when,
        }
        file.records.append(
            await ok(await client.post("/api/records/", json=mine, headers=patient.headers))
        )
        author, annotator = doctors[i % 2], doctors[(i + 1) % 2]
        theirs = {**mine, "content": f"by a doctor: {kind.value}", "patient_id": str(patient.id)}
        record = await ok(await client.post("/api/records/", json=theirs, headers=author.headers))
        file.records.append(record)
        note = {"record_id": record["id"], "body": f"annotation on {kind.value}"}
        file.annotations.append(
            await ok(
                await client.post("/api/doctors/annotations/", json=note, headers=annotator.headers)
            )
        )
    # One record changed once, so its version is 2.
    first = file.records[0]
    change = {k: first[k] for k in ("title", "record_type", "recorded_at")} | {"content": "v2"}
    file.records[0] = await ok(
        await client.put(f"/api/records/{first['id']}/", json=change, headers=patient.headers)
    )
    return file


def parsed(body: dict[str, Any]) -> Any:
    """The body as its fhir.resources model: raises on anything not valid R4B."""
    return get_fhir_model_class(body["resourceType"]).model_validate(body)


async def fhir_get(
    client: Client, url: str, who: TestUser | None, status: int = 200, **params: Any
) -> dict[str, Any]:
    headers = who.headers if who else {}
    response = await client.get(url, params=params or None, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body: dict[str, Any] = response.json()
    parsed(body)
    return body
