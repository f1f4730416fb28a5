"""/api/records/access-log/: a patient's own log of who read or changed their file.

A static segment, so Litestar's router prefers it to /api/records/{record_id}/.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from healthrecords.domain.services.access_log import Access, AccessLogService
from healthrecords.entrypoints.http.openapi_errors import problems


class AccessOut(msgspec.Struct):
    id: UUID
    occurred_at: datetime
    actor_id: UUID | None
    actor_role: str | None
    actor_name: str | None
    action: str
    target_type: str
    target_id: UUID | None
    outcome: str
    count: int
    last_occurred_at: datetime
    # Under an emergency access: the reason the doctor gave.
    reason: str | None = None

    @classmethod
    def of(cls, a: Access) -> AccessOut:
        return cls(
            a.id,
            a.occurred_at,
            a.actor_id,
            a.actor_role,
            a.actor_name,
            a.action,
            a.target_type,
            a.target_id,
            a.outcome.value,
            a.count,
            a.last_occurred_at,
            a.reason,
        )


class AccessPage(msgspec.Struct):
    items: list[AccessOut]
    next_cursor: str | None


class AccessLogController(Controller):
    path = "/api/records/access-log"
    tags = ("records",)
    security = ({"BearerToken": []},)

    @get(
        "/",
        summary="Patients only: who read or changed the caller's records, newest first",
        description=(
            "Doctors and admins get 403. Keyset pages: pass next_cursor as cursor. "
            "Refused attempts of one actor in a row are one entry (count, last_occurred_at); "
            "?outcome= keeps one outcome."
        ),
        opt=problems(403, 422),
    )
    async def access_log(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        outcome: Annotated[Outcome | None, QueryParameter()] = None,
    ) -> AccessPage:
        service = AccessLogService(container.uow, container.clock)
        page = await service.for_patient(actor, limit, cursor, outcome)
        return AccessPage([AccessOut.of(a) for a in page.items], page.next_cursor)
