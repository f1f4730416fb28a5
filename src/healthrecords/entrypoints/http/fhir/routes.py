"""The /fhir routes of a whole file: metadata, Patient, Practitioner, $everything.

Thin: check the query, call one PatientFileService method, map to FHIR.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.pagination import MAX_LIMIT
from healthrecords.entrypoints.http.fhir.answers import fhir, signed_get
from healthrecords.entrypoints.http.fhir.bundles import INCLUDE, MATCH, fhir_base, searchset
from healthrecords.entrypoints.http.fhir.capability import capability_statement
from healthrecords.entrypoints.http.fhir.media import FHIR_JSON, PREFIX
from healthrecords.entrypoints.http.fhir.openapi import fhir_responses
from healthrecords.entrypoints.http.fhir.read_route import read_route
from healthrecords.entrypoints.http.fhir.record_routes import record_routes, search_observations
from healthrecords.entrypoints.http.fhir.resources import (
    RECORD_TYPES,
    Json,
    patient_resource,
    practitioner_resource,
    record_resource,
)
from healthrecords.entrypoints.http.fhir.search_params import (
    Count,
    Cursor,
    Format,
    accepted,
    repeated,
)

EVERYTHING_LIMIT = MAX_LIMIT


@get(
    "/metadata",
    summary="The CapabilityStatement (no sign-in needed)",
    media_type=FHIR_JSON,
    responses=fhir_responses(400, 406, 429),
)
async def metadata(request: Request[Any, Any, Any], fmt: Format = None) -> Response[Json]:
    media = accepted(request, set())
    version = request.app.openapi_config.version if request.app.openapi_config else ""
    return fhir(capability_statement(fhir_base(request), version), media)


async def _patient(container: Container, actor: Actor, patient_id: UUID) -> tuple[Json, None]:
    return patient_resource(await container.patient_files.patient(actor, patient_id)), None


async def _practitioner(container: Container, actor: Actor, doctor_id: UUID) -> tuple[Json, None]:
    return practitioner_resource(await container.patient_files.practitioner(actor, doctor_id)), None


# Operation ids as Litestar derived them when these were plain handlers.
read_patient = read_route(
    "Patient",
    "Read a Patient (the file's patient)",
    _patient,
    operation_id="FhirPatientResourceIdReadPatient",
)
read_practitioner = read_route(
    "Practitioner",
    "Read a Practitioner who wrote something the caller can see",
    _practitioner,
    operation_id="FhirPractitionerResourceIdReadPractitioner",
)


@signed_get(
    "/Patient/{resource_id:uuid}/$everything",
    "The patient's whole file, as keyset-paged searchset Bundles",
)
async def everything(
    request: Request[Any, Any, Any],
    container: NamedDependency[Container],
    actor: NamedDependency[Actor],
    resource_id: FromPath[UUID],
    count: Count = EVERYTHING_LIMIT,
    cursor: Cursor = None,
    fmt: Format = None,
) -> Response[Json]:
    media = accepted(request, {"_count", "_cursor"})
    page = await container.patient_files.everything(actor, resource_id, count, cursor)
    entries = [(patient_resource(page.patient), INCLUDE)] if page.patient else []
    entries += [(record_resource(r), MATCH) for r in page.records]
    entries += [(practitioner_resource(d), INCLUDE) for d in page.doctors]
    query = repeated(request, "_count")
    return fhir(searchset(request, entries, query, page.next_cursor), media)


def fhir_router() -> Router:
    handlers: list[HTTPRouteHandler] = [metadata, read_patient, read_practitioner, everything]
    for resource_type in sorted(RECORD_TYPES):
        read, search = record_routes(resource_type)
        handlers += [read] if resource_type == "Observation" else [read, search]
    handlers.append(search_observations)
    return Router(path=PREFIX, route_handlers=handlers, tags=["fhir"])
