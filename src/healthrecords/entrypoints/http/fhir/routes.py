"""The /fhir routes: read, search and $everything, generated per resource type.

Thin: check the query, call one PatientFileService method, map to FHIR.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, QueryParameter

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from healthrecords.domain.records import RecordType
from healthrecords.entrypoints.http.fhir.bundles import INCLUDE, MATCH, fhir_base, searchset
from healthrecords.entrypoints.http.fhir.capability import capability_statement
from healthrecords.entrypoints.http.fhir.media import FHIR_JSON, PREFIX
from healthrecords.entrypoints.http.fhir.openapi import SIGNED, fhir_responses
from healthrecords.entrypoints.http.fhir.resources import (
    CATEGORIES,
    CATEGORY_SYSTEM,
    RECORD_TYPES,
    Json,
    patient_resource,
    practitioner_resource,
    record_resource,
)
from healthrecords.entrypoints.http.fhir.search_params import accepted, patient_id

SECURITY: list[dict[str, list[str]]] = [{"BearerToken": []}]
Count = Annotated[int, QueryParameter(name="_count", ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, QueryParameter(name="_cursor", max_length=200)]
Format = Annotated[str | None, QueryParameter(name="_format", max_length=64)]
PatientParam = Annotated[str, QueryParameter(name="patient", max_length=100)]
Category = Annotated[str | None, QueryParameter(name="category", max_length=200)]
EVERYTHING_LIMIT = MAX_LIMIT


def fhir(body: Json, media_type: str, version: int | None = None) -> Response[Json]:
    headers = {"ETag": f'W/"{version}"'} if version is not None else None
    return Response(body, media_type=media_type, headers=headers)


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


@get(
    "/Patient/{resource_id:uuid}",
    summary="Read a Patient (the file's patient)",
    security=SECURITY,
    media_type=FHIR_JSON,
    responses=fhir_responses(*SIGNED),
)
async def read_patient(
    request: Request[Any, Any, Any],
    container: NamedDependency[Container],
    actor: NamedDependency[Actor],
    resource_id: FromPath[UUID],
    fmt: Format = None,
) -> Response[Json]:
    media = accepted(request, set())
    patient = await container.patient_files.patient(actor, resource_id)
    return fhir(patient_resource(patient), media)


@get(
    "/Practitioner/{resource_id:uuid}",
    summary="Read a Practitioner who wrote something the caller can see",
    security=SECURITY,
    media_type=FHIR_JSON,
    responses=fhir_responses(*SIGNED),
)
async def read_practitioner(
    request: Request[Any, Any, Any],
    container: NamedDependency[Container],
    actor: NamedDependency[Actor],
    resource_id: FromPath[UUID],
    fmt: Format = None,
) -> Response[Json]:
    media = accepted(request, set())
    doctor = await container.patient_files.practitioner(actor, resource_id)
    return fhir(practitioner_resource(doctor), media)


@get(
    "/Patient/{resource_id:uuid}/$everything",
    summary="The patient's whole file, as keyset-paged searchset Bundles",
    security=SECURITY,
    media_type=FHIR_JSON,
    responses=fhir_responses(*SIGNED),
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
    query = _repeat(request, "_count")
    return fhir(searchset(request, entries, query, page.next_cursor), media)


def _repeat(request: Request[Any, Any, Any], *names: str) -> dict[str, str]:
    """The parameters a next page repeats (validated already)."""
    keep = {*names, "_format"}
    return {k: v for k, v in request.query_params.items() if k in keep}


async def _search(
    request: Request[Any, Any, Any],
    media: str,
    container: Container,
    actor: Actor,
    patient: str,
    types: Collection[RecordType],
    count: int,
    cursor: str | None,
) -> Response[Json]:
    page = await container.patient_files.search(actor, patient_id(patient), types, count, cursor)
    entries = [(record_resource(r), MATCH) for r in page.items]
    query = _repeat(request, "patient", "category", "_count")
    return fhir(searchset(request, entries, query, page.next_cursor), media)


def record_routes(resource_type: str) -> list[HTTPRouteHandler]:
    types = RECORD_TYPES[resource_type]

    @get(
        f"/{resource_type}/{{resource_id:uuid}}",
        summary=f"Read a {resource_type}",
        operation_id=f"FhirRead{resource_type}",
        name=f"fhir-read-{resource_type}",
        security=SECURITY,
        media_type=FHIR_JSON,
        responses=fhir_responses(*SIGNED),
    )
    async def read(
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        resource_id: FromPath[UUID],
        fmt: Format = None,
    ) -> Response[Json]:
        media = accepted(request, set())
        item = await container.patient_files.record(actor, resource_id, types)
        return fhir(record_resource(item), media, item.record.version)

    @get(
        f"/{resource_type}",
        summary=f"Search one patient's {resource_type} resources, newest first",
        operation_id=f"FhirSearch{resource_type}",
        name=f"fhir-search-{resource_type}",
        security=SECURITY,
        media_type=FHIR_JSON,
        responses=fhir_responses(*SIGNED, 403),
    )
    async def search(
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        patient: PatientParam,
        count: Count = DEFAULT_LIMIT,
        cursor: Cursor = None,
        fmt: Format = None,
    ) -> Response[Json]:
        media = accepted(request, {"patient", "_count", "_cursor"})
        return await _search(request, media, container, actor, patient, types, count, cursor)

    return [read, search]


@get(
    "/Observation",
    summary="Search one patient's Observations, newest first; category narrows",
    operation_id="FhirSearchObservation",
    security=SECURITY,
    media_type=FHIR_JSON,
    responses=fhir_responses(*SIGNED, 403),
)
async def search_observations(
    request: Request[Any, Any, Any],
    container: NamedDependency[Container],
    actor: NamedDependency[Actor],
    patient: PatientParam,
    category: Category = None,
    count: Count = DEFAULT_LIMIT,
    cursor: Cursor = None,
    fmt: Format = None,
) -> Response[Json]:
    media = accepted(request, {"patient", "category", "_count", "_cursor"})
    types = RECORD_TYPES["Observation"] if category is None else _categories(category)
    return await _search(request, media, container, actor, patient, types, count, cursor)


def _categories(value: str) -> frozenset[RecordType]:
    """Comma-separated tokens, `code` or `system|code`; codes we never use match nothing."""
    found: set[RecordType] = set()
    for token in value.split(","):
        system, bar, code = token.strip().rpartition("|")
        if bar and system not in ("", CATEGORY_SYSTEM):
            continue
        if code in CATEGORIES:
            found.add(CATEGORIES[code])
    return frozenset(found)


def fhir_router() -> Router:
    handlers: list[HTTPRouteHandler] = [metadata, read_patient, read_practitioner, everything]
    for resource_type in sorted(RECORD_TYPES):
        read, search = record_routes(resource_type)
        handlers += [read] if resource_type == "Observation" else [read, search]
    handlers.append(search_observations)
    return Router(path=PREFIX, route_handlers=handlers, tags=["fhir"])
