"""/api/audit/: the append-only audit trail, for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from healthrecords.domain.services.audit import AuditQuery
from healthrecords.entrypoints.http.openapi_errors import problems
from healthrecords.entrypoints.http.record_schemas import AuditEventOut, AuditPage


class AuditController(Controller):
    path = "/api/audit"
    tags = ("admin",)
    security = ({"BearerToken": []},)

    @get(
        "/",
        summary="Audit events, newest first; since inclusive, until exclusive",
        opt=problems(403, 422),
    )
    async def list_events(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        patient_id: Annotated[UUID | None, QueryParameter()] = None,
        actor_id: Annotated[UUID | None, QueryParameter()] = None,
        since: Annotated[datetime | None, QueryParameter()] = None,
        until: Annotated[datetime | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> AuditPage:
        query = AuditQuery(
            patient_id=patient_id,
            actor_id=actor_id,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
        page = await container.audit.list(actor, query)
        return AuditPage([AuditEventOut.of(e) for e in page.items], page.next_cursor)
