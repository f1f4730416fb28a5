"""The FHIR view's protocol over HTTP, on both backends: the CapabilityStatement,
OperationOutcome errors with the REST statuses, media types, the OpenAPI listing."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.testing import AsyncTestClient

from healthrecords.config import Settings
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.app import create_app
from tests.api.conftest import MakeUser, TestUser
from tests.api.fhir_files import FHIR_JSON, FHIR_TYPE, Client, fhir_get, parsed
from tests.api.test_rate_limits import limited

_ZERO = "00000000-0000-4000-8000-000000000000"


async def test_metadata_lists_exactly_what_is_served_without_sign_in(client: Client) -> None:
    statement = await fhir_get(client, "/fhir/metadata", None)
    assert statement["fhirVersion"] == "4.0.1"
    (rest,) = statement["rest"]
    kinds = {r["type"]: r for r in rest["resource"]}
    assert set(kinds) == {"Patient", "Practitioner", *FHIR_TYPE.values()}
    assert kinds["Patient"]["operation"][0]["name"] == "everything"
    for name, resource in kinds.items():
        interactions = {i["code"] for i in resource["interaction"]}
        searchable = name not in ("Patient", "Practitioner")
        assert interactions == ({"read", "search-type"} if searchable else {"read"})
        for interaction in interactions:
            url = f"/fhir/{name}" + ("" if interaction == "search-type" else f"/{_ZERO}")
            answer = await client.get(
                url, params={"patient": _ZERO} if "search" in interaction else None
            )
            assert answer.status_code == 401  # served, and needs a token
    params = {p["name"] for p in kinds["Observation"]["searchParam"]}
    assert params == {"patient", "category"}


async def test_errors_are_operation_outcomes_with_the_rest_statuses(
    client: Client, make_user: MakeUser
) -> None:
    patient, admin = await make_user(Role.PATIENT), await make_user(Role.ADMIN)
    cases: list[tuple[str, str, TestUser | None, dict[str, Any] | None, int]] = [
        ("GET", f"/fhir/Patient/{patient.id}", None, None, 401),
        ("GET", f"/fhir/Patient/{_ZERO}", patient, None, 404),
        ("GET", f"/fhir/Patient/{patient.id}", admin, None, 404),
        ("GET", f"/fhir/Patient/{patient.id}/$everything", admin, None, 404),
        ("GET", "/fhir/Condition", admin, {"patient": str(patient.id)}, 403),
        ("GET", "/fhir/Condition", patient, {"patient": _ZERO}, 404),
        ("GET", "/fhir/Condition", patient, None, 400),
        ("GET", "/fhir/Condition", patient, {"patient": "nobody"}, 400),
        ("GET", "/fhir/Condition", patient, {"patient": str(patient.id), "code": "x"}, 400),
        ("GET", "/fhir/Condition", patient, {"patient": str(patient.id), "_count": "0"}, 400),
        ("GET", "/fhir/Condition", patient, {"patient": str(patient.id), "_count": "101"}, 400),
        ("GET", "/fhir/Condition", patient, {"patient": str(patient.id), "_cursor": "bad"}, 422),
        ("GET", "/fhir/Condition", patient, {"patient": str(patient.id), "_format": "xml"}, 406),
        ("GET", "/fhir/Basic", patient, None, 404),
        ("POST", "/fhir/Condition", patient, None, 405),
        ("PUT", f"/fhir/Observation/{_ZERO}", patient, None, 405),
        ("DELETE", f"/fhir/Patient/{patient.id}", patient, None, 405),
        ("POST", f"/fhir/Patient/{patient.id}/$everything", patient, None, 405),
    ]
    for method, url, who, params, status in cases:
        response = await client.request(
            method, url, params=params, headers=who.headers if who else {}
        )
        assert response.status_code == status, (method, url, params, response.text)
        assert response.headers["content-type"].startswith(FHIR_JSON), (url, response.headers)
        assert response.json()["resourceType"] == "OperationOutcome"
        outcome = parsed(response.json())
        assert outcome.issue[0].severity == "error"
        if params and "_cursor" in params:
            assert outcome.issue[0].expression == ["_cursor"]
        if params and "code" in params:
            assert outcome.issue[0].expression == ["code"]
        if status == 401:
            assert response.headers["www-authenticate"] == "Bearer"
        if status == 405:
            assert "GET" in response.headers["allow"]


async def test_plain_json_is_answered_to_who_asks_for_it(
    client: Client, make_user: MakeUser
) -> None:
    patient = await make_user(Role.PATIENT)
    plain = await client.get(
        f"/fhir/Patient/{patient.id}", headers={**patient.headers, "Accept": "application/json"}
    )
    assert plain.headers["content-type"].startswith("application/json")
    fhir = await client.get(
        f"/fhir/Patient/{patient.id}", headers={**patient.headers, "Accept": "*/*"}
    )
    assert fhir.headers["content-type"].startswith(FHIR_JSON)
    versioned = await client.get(
        f"/fhir/Patient/{patient.id}",
        headers={**patient.headers, "Accept": "application/fhir+json; fhirVersion=4.0"},
    )
    assert versioned.headers["content-type"].startswith(FHIR_JSON)
    preferred = await client.get(
        f"/fhir/Patient/{patient.id}",
        headers={**patient.headers, "Accept": f"{FHIR_JSON};q=0.5, application/json"},
    )
    assert preferred.headers["content-type"].startswith("application/json")
    as_format = await client.get(
        f"/fhir/Patient/{patient.id}", params={"_format": "json"}, headers=patient.headers
    )
    assert as_format.headers["content-type"].startswith(FHIR_JSON)
    xml = await client.get(
        f"/fhir/Patient/{patient.id}", headers={**patient.headers, "Accept": "application/fhir+xml"}
    )
    assert xml.status_code == 406
    assert plain.json() == fhir.json()


async def test_the_openapi_schema_lists_every_fhir_route_as_fhir_json(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    fhir_paths = {p: ops for p, ops in schema["paths"].items() if p.startswith("/fhir")}
    searchable = sorted(set(FHIR_TYPE.values()))
    assert set(fhir_paths) == {
        "/fhir/metadata",
        "/fhir/Patient/{resource_id}",
        "/fhir/Patient/{resource_id}/$everything",
        "/fhir/Practitioner/{resource_id}",
        *(f"/fhir/{t}" for t in searchable),
        *(f"/fhir/{t}/{{resource_id}}" for t in searchable),
    }
    for path, operations in fhir_paths.items():
        assert set(operations) == {"get"}, path
        answers = operations["get"]["responses"]
        assert set(answers["200"]["content"]) == {FHIR_JSON}, path
        errors = {s: a for s, a in answers.items() if int(s) >= 400}
        assert errors, path
        assert all(set(a["content"]) == {FHIR_JSON} for a in errors.values()), path
        assert ("403" in errors) == (path in {f"/fhir/{t}" for t in searchable}), path


async def test_a_refused_query_reads_nothing(client: Client, make_user: MakeUser) -> None:
    """406 and 400 are decided before the file is touched: no access to log."""
    patient, doctor = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    assigned = await client.post(
        "/api/assignments/", json={"doctor_id": str(doctor.id)}, headers=patient.headers
    )
    assert assigned.status_code == 201
    everything = f"/fhir/Patient/{patient.id}/$everything"
    xml = await client.get(everything, headers={**doctor.headers, "Accept": "application/fhir+xml"})
    unknown = await client.get(everything, params={"_since": "2020"}, headers=doctor.headers)
    assert (xml.status_code, unknown.status_code) == (406, 400)
    log = await client.get("/api/records/access-log/", headers=patient.headers)
    assert [i for i in log.json()["items"] if i["action"].startswith("fhir.")] == []


async def test_throttled_fhir_calls_get_an_operation_outcome_with_retry_after(
    settings: Settings,
) -> None:
    app = create_app(limited(settings, general=5, auth=100))
    async with AsyncTestClient(app) as client:
        answers = await asyncio.gather(*(client.get("/fhir/metadata") for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [429] * 3
    for refused in (a for a in answers if a.status_code == 429):
        assert refused.headers["content-type"].startswith(FHIR_JSON)
        assert 0 < int(refused.headers["retry-after"]) <= 60
        assert refused.json()["issue"][0]["code"] == "throttled"
