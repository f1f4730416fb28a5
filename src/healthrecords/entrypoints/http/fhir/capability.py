"""GET /fhir/metadata: exactly what this server supports, as a CapabilityStatement."""

from __future__ import annotations

from typing import Any

from healthrecords.entrypoints.http.fhir.media import FHIR_JSON, JSON
from healthrecords.entrypoints.http.fhir.resources import RECORD_TYPES, Json

# When this statement last changed (a CapabilityStatement must carry a date).
STATEMENT_DATE = "2026-12-07"
EVERYTHING = "http://hl7.org/fhir/OperationDefinition/Patient-everything"
PATIENT_PARAM = {
    "name": "patient",
    "type": "reference",
    "documentation": "Required: the patient file searched, as {id} or Patient/{id}.",
}
CATEGORY_PARAM = {
    "name": "category",
    "type": "token",
    "documentation": "laboratory or vital-signs (comma-separated for either).",
}


def _read_only(resource_type: str, **more: Any) -> Json:
    return {
        "type": resource_type,
        "interaction": [{"code": "read"}],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "conditionalRead": "not-supported",
        **more,
    }


def _searchable(resource_type: str) -> Json:
    params = [PATIENT_PARAM, *([CATEGORY_PARAM] if resource_type == "Observation" else [])]
    return {
        **_read_only(resource_type),
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "versioned",
        "searchParam": params,
    }


def capability_statement(base: str, version: str) -> Json:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": STATEMENT_DATE,
        "publisher": "healthrecords",
        "kind": "instance",
        "software": {"name": "healthrecords", "version": version},
        "implementation": {"description": "healthrecords: a read-only FHIR R4 view", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["json", FHIR_JSON, JSON],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read-only. Search results are keyset-paged searchset Bundles without"
                    " total; follow the next link. _count is 1 to 100."
                ),
                "security": {
                    "description": (
                        "A bearer access token from POST /api/auth/login/ in the Authorization"
                        " header; the same access policy and audit as the REST API."
                    ),
                },
                "resource": [
                    _read_only(
                        "Patient",
                        operation=[{"name": "everything", "definition": EVERYTHING}],
                    ),
                    _read_only("Practitioner"),
                    *(_searchable(t) for t in sorted(RECORD_TYPES)),
                ],
            }
        ],
    }
