"""/api/notifications/ (anyone's own) and /api/doctors/notifications/ (doctors)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from healthrecords.entrypoints.http.notification_schemas import NotificationPage
from healthrecords.entrypoints.http.openapi_errors import problems

LIST_DESCRIPTION = (
    "Newest first. With `after` (the id of the last notification the client saw): "
    "everything newer, oldest first, in the order the WebSocket delivers. "
    "`unread=true` leaves out what was marked read."
)

Unread = Annotated[bool, QueryParameter(description="only notifications not marked read")]
After = Annotated[UUID | None, QueryParameter(description="id of the last notification seen")]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
CursorParam = Annotated[str | None, QueryParameter(max_length=200)]


class NotificationsController(Controller):
    path = "/api/notifications"
    tags = ("notifications",)
    security = ({"BearerToken": []},)

    @get("/", summary="The caller's notifications", description=LIST_DESCRIPTION, opt=problems(422))
    async def list_notifications(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        unread: Unread = False,
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> NotificationPage:
        page = await container.notifications.list(
            actor, unread_only=unread, after=after, limit=limit, cursor=cursor
        )
        return NotificationPage.of(page)

    @post("/{notification_id:uuid}/read/", status_code=204, summary="Mark one as read")
    async def mark_read(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        notification_id: FromPath[UUID],
    ) -> None:
        await container.notifications.mark_read(actor, notification_id)


class DoctorNotificationsController(Controller):
    path = "/api/doctors/notifications"
    tags = ("doctors", "notifications")
    security = ({"BearerToken": []},)

    @get(
        "/",
        summary="The calling doctor's notifications",
        description=LIST_DESCRIPTION,
        opt=problems(403, 422),
    )
    async def list_doctor_notifications(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        unread: Unread = False,
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: CursorParam = None,
    ) -> NotificationPage:
        page = await container.notifications.list_for_doctor(
            actor, unread_only=unread, after=after, limit=limit, cursor=cursor
        )
        return NotificationPage.of(page)
