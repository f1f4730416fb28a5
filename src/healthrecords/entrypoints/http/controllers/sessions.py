"""/api/auth/sessions/ and /api/auth/password/: a user's own sessions and password."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, delete, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter, RequestBody

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from healthrecords.entrypoints.http.openapi_errors import problems
from healthrecords.entrypoints.http.session_schemas import (
    PasswordChangeIn,
    SessionOut,
    SessionPage,
)


class SessionsController(Controller):
    path = "/api/auth"
    tags = ("auth",)
    security = ({"BearerToken": []},)
    cache_control = CacheControlHeader(no_store=True)

    @get(
        "/sessions/",
        summary="The caller's live sessions, newest first",
        description=(
            "Every login starts a session (a refresh-token family); `current` marks the "
            "one the request's access token belongs to."
        ),
        opt=problems(422),
    )
    async def list_sessions(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> SessionPage:
        page = await container.user_sessions.list(actor, limit, cursor)
        return SessionPage([SessionOut.of(v) for v in page.items], page.next_cursor)

    @delete(
        "/sessions/{session_id:uuid}/",
        summary="End one of the caller's sessions",
        description=(
            "Its refresh tokens stop at once, its access tokens within 2 seconds on every "
            "replica, and its notification sockets close with 4401."
        ),
        status_code=204,
    )
    async def end_session(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        session_id: FromPath[UUID],
    ) -> None:
        await container.user_sessions.end(actor, session_id)

    @post(
        "/password/",
        summary="Change the caller's password",
        description=(
            "The new password follows the registration rules. Every other session of "
            "the account ends; wrong current passwords count toward the login limits."
        ),
        status_code=204,
        opt=problems(422),
    )
    async def change_password(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        data: RequestBody[PasswordChangeIn],
    ) -> None:
        await container.password_change.change(actor, data.current_password, data.new_password)
