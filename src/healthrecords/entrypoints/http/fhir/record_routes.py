"""The /fhir routes of records: read and search, one pair per resource type."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.pagination import DEFAULT_LIMIT
from healthrecords.domain.records import RecordType
from healthrecords.entrypoints.http.fhir.answers import fhir, signed_get
from healthrecords.entrypoints.http.fhir.bundles import MATCH, searchset
from healthrecords.entrypoints.http.fhir.read_route import read_route
from healthrecords.entrypoints.http.fhir.resources import RECORD_TYPES, Json, record_resource
from healthrecords.entrypoints.http.fhir.search_params import (
    Category,
    Count,
    Cursor,
    Format,
    PatientParam,
    accepted,
    categories,
    patient_id,
    repeated,
)


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
    query = repeated(request, "patient", "category", "_count")
    return fhir(searchset(request, entries, query, page.next_cursor), media)


def record_routes(resource_type: str) -> list[HTTPRouteHandler]:
    types = RECORD_TYPES[resource_type]

    async def load(container: Container, actor: Actor, record_id: UUID) -> tuple[Json, int]:
        item = await container.patient_files.record(actor, record_id, types)
        return record_resource(item), item.record.version

    read = read_route(
        resource_type,
        f"Read a {resource_type}",
        load,
        operation_id=f"FhirRead{resource_type}",
        name=f"fhir-read-{resource_type}",
    )

    @signed_get(
        f"/{resource_type}",
        f"Search one patient's {resource_type} resources, newest first",
        403,
        operation_id=f"FhirSearch{resource_type}",
        name=f"fhir-search-{resource_type}",
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


@signed_get(
    "/Observation",
    "Search one patient's Observations, newest first; category narrows",
    403,
    operation_id="FhirSearchObservation",
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
    types = RECORD_TYPES["Observation"] if category is None else categories(category)
    return await _search(request, media, container, actor, patient, types, count, cursor)
