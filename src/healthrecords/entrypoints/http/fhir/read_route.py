"""One /fhir route reading one resource by id: Patient, Practitioner, each record type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.entrypoints.http.fhir.answers import fhir, signed_get
from healthrecords.entrypoints.http.fhir.resources import Json
from healthrecords.entrypoints.http.fhir.search_params import Format, accepted

# The resource, and the version its ETag carries (None: no ETag).
Load = Callable[[Container, Actor, UUID], Awaitable[tuple[Json, int | None]]]


def read_route(
    resource_type: str, summary: str, load: Load, *, operation_id: str, name: str | None = None
) -> HTTPRouteHandler:
    @signed_get(
        f"/{resource_type}/{{resource_id:uuid}}", summary, operation_id=operation_id, name=name
    )
    async def read(
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        resource_id: FromPath[UUID],
        fmt: Format = None,
    ) -> Response[Json]:
        media = accepted(request, set())
        body, version = await load(container, actor, resource_id)
        return fhir(body, media, version)

    return read
