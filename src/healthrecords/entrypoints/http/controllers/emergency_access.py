"""/api/emergency-access/: break-glass grants and the read-only file they open."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter, RequestBody

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.emergency import REASON_MAX, EmergencyAccess
from healthrecords.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from healthrecords.entrypoints.http.openapi_errors import problems
from healthrecords.entrypoints.http.record_schemas import RecordOut, RecordPage


class EmergencyAccessIn(msgspec.Struct, forbid_unknown_fields=True):
    patient_id: UUID
    # 20..500 characters once trimmed (checked by the service, 422 naming `reason`).
    reason: Annotated[str, msgspec.Meta(max_length=REASON_MAX * 4)]


class EmergencyAccessOut(msgspec.Struct):
    id: UUID
    patient_id: UUID
    doctor_id: UUID
    reason: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None

    @classmethod
    def of(cls, g: EmergencyAccess) -> EmergencyAccessOut:
        return cls(
            g.id, g.patient_id, g.doctor_id, g.reason, g.created_at, g.expires_at, g.ended_at
        )


class EmergencyAccessPage(msgspec.Struct):
    items: list[EmergencyAccessOut]
    next_cursor: str | None


Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
PageCursor = Annotated[str | None, QueryParameter(max_length=200)]


class EmergencyAccessController(Controller):
    path = "/api/emergency-access"
    tags = ("emergency access",)
    security = ({"BearerToken": []},)

    @post(
        "/",
        summary="Open time-boxed, read-only emergency access to a patient's file (doctors)",
        description=(
            "Any doctor, assigned or not, with a reason of 20..500 characters. The patient "
            "is notified at once (`access.emergency`); every read under it is audited and "
            "shown in the patient's access log with the reason. At most "
            "HEALTHRECORDS_EMERGENCY_ACCESS_DAILY_LIMIT per doctor in 24 hours (429)."
        ),
        status_code=201,
        opt=problems(403, 404, 422),
    )
    async def open_access(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        data: RequestBody[EmergencyAccessIn],
    ) -> EmergencyAccessOut:
        grant = await container.emergency_access.open(actor, data.patient_id, data.reason)
        return EmergencyAccessOut.of(grant)

    @get(
        "/",
        summary="Every emergency access grant, newest first (admins only)",
        opt=problems(403, 422),
    )
    async def list_grants(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        limit: Limit = DEFAULT_LIMIT,
        cursor: PageCursor = None,
    ) -> EmergencyAccessPage:
        page = await container.emergency_access.list(actor, limit, cursor)
        return EmergencyAccessPage([EmergencyAccessOut.of(g) for g in page.items], page.next_cursor)

    @delete(
        "/{grant_id:uuid}/",
        summary="End an emergency access early (the doctor who opened it, or an admin)",
        status_code=204,
        opt=problems(403),
    )
    async def end_access(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        grant_id: FromPath[UUID],
    ) -> None:
        await container.emergency_access.end(actor, grant_id)

    @get(
        "/{grant_id:uuid}/records/",
        summary="The file's records under an active emergency access, newest first",
        opt=problems(403, 422),
    )
    async def records(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        grant_id: FromPath[UUID],
        limit: Limit = DEFAULT_LIMIT,
        cursor: PageCursor = None,
    ) -> RecordPage:
        page = await container.emergency_access.records(actor, grant_id, limit, cursor)
        return RecordPage([RecordOut.of(r) for r in page.items], page.next_cursor)

    @get(
        "/{grant_id:uuid}/records/{record_id:uuid}/",
        summary="One record of the file under an active emergency access",
        opt=problems(403),
    )
    async def record(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        grant_id: FromPath[UUID],
        record_id: FromPath[UUID],
    ) -> RecordOut:
        return RecordOut.of(await container.emergency_access.record(actor, grant_id, record_id))
