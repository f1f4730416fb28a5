"""SMART on FHIR's own Python client (`fhirclient`, R4 models) against a live
`healthrecords serve` process, on both runtime modes, with a bearer token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fhirclient.auth import FHIROAuth2Auth
from fhirclient.models.capabilitystatement import CapabilityStatement
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient
from fhirclient.server import FHIRServer

from healthrecords.bootstrap import build_container
from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.faults.processes import ApiServer, settings_env, start_api
from tests.people import SeededUser, seed_user

DEADLINE = 60.0


@pytest.fixture
async def live(settings: Settings, tmp_path: Path) -> AsyncIterator[ApiServer]:
    server = await start_api(settings_env(settings), tmp_path, name="fhir-api")
    yield server
    await server.stop()


@pytest.fixture
async def people(settings: Settings) -> AsyncIterator[tuple[SeededUser, SeededUser]]:
    container = build_container(settings)
    patient = await seed_user(container, Role.PATIENT, "Grace Hopper")
    doctor = await seed_user(container, Role.DOCTOR, "Dr. John Snow")
    yield patient, doctor
    await container.aclose()


def read_with_fhirclient(
    base: str, token: str, patient_id: str
) -> tuple[CapabilityStatement, Patient, list[Observation]]:
    """Blocking, as fhirclient is: run in a thread."""
    server = FHIRServer(None, base_uri=f"{base}/fhir")
    statement = server.capabilityStatement
    auth = FHIROAuth2Auth()
    auth.access_token = token
    server.auth = auth
    patient = Patient.read(patient_id, server)
    search = Observation.where({"patient": patient_id, "_count": "2"})
    observations = list(search.perform_resources_iter(server))
    return statement, patient, observations


async def test_fhirclient_reads_the_patient_and_pages_its_observations(
    live: ApiServer, people: tuple[SeededUser, SeededUser]
) -> None:
    patient, doctor = people
    made: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=live.base_url, timeout=10) as api:
        assigned = await api.post(
            "/api/assignments/", json={"doctor_id": str(doctor.id)}, headers=patient.headers
        )
        assert assigned.status_code == 201, assigned.text
        for i, kind in enumerate(
            ["lab_result", "vital_sign", "lab_result", "condition", "vital_sign"]
        ):
            body = {"title": f"r{i}", "record_type": kind, "content": f"value {i}"}
            created = await api.post("/api/records/", json=body, headers=patient.headers)
            assert created.status_code == 201, created.text
            made.append(created.json())

        statement, read, observations = await asyncio.wait_for(
            asyncio.to_thread(read_with_fhirclient, live.base_url, doctor.token, str(patient.id)),
            DEADLINE,
        )

        assert statement.fhirVersion == "4.0.1"
        assert read.id == str(patient.id)
        assert read.name[0].text == "Grace Hopper"
        expected = [r for r in made if r["record_type"] in ("lab_result", "vital_sign")]
        newest_first = sorted(expected, key=lambda r: (r["recorded_at"], r["id"]), reverse=True)
        assert [o.id for o in observations] == [r["id"] for r in newest_first]
        assert {o.category[0].coding[0].code for o in observations} == {
            "laboratory",
            "vital-signs",
        }
        assert all(o.subject.reference == f"Patient/{patient.id}" for o in observations)

        log = await api.get(
            "/api/records/access-log/", params={"limit": 100}, headers=patient.headers
        )
    by_doctor = [i for i in log.json()["items"] if i["actor_id"] == str(doctor.id)]
    actions = sorted(i["action"] for i in by_doctor if i["outcome"] == "success")
    # One Patient read, and one search event per page of 2 (4 observations).
    assert actions == ["fhir.read", "fhir.search", "fhir.search"]
