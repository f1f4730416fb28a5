"""/api/users/: the administrators' list of accounts and activation switch."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get, patch
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter, RequestBody

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.account_schemas import ActivationIn, UserOut, UserPage
from healthrecords.entrypoints.http.openapi_errors import problems


class UsersController(Controller):
    path = "/api/users"
    tags = ("admin",)
    security = ({"BearerToken": []},)

    @get("/", summary="Every account, oldest first (admins only)", opt=problems(403, 422))
    async def list_users(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        role: Annotated[Role | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> UserPage:
        page = await container.accounts.list_users(actor, role, limit, cursor)
        return UserPage([UserOut.of(u) for u in page.items], page.next_cursor)

    @patch(
        "/{user_id:uuid}/",
        summary="Activate or deactivate an account, or verify a doctor (admins only)",
        description=(
            "Deactivating revokes every refresh token; access tokens stop at once. "
            "`verified` marks a doctor account as checked by an admin."
        ),
        opt=problems(403, 409, 422),
    )
    async def set_active(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        user_id: FromPath[UUID],
        data: RequestBody[ActivationIn],
    ) -> UserOut:
        user = None
        # Verification first: it refuses everything set_active would refuse (not
        # an admin, no such user) and more (not a doctor), so a refused body
        # changes nothing.
        if data.verified is not msgspec.UNSET:
            user = await container.verification.set_verified(actor, user_id, data.verified)
        if data.is_active is not msgspec.UNSET:
            user = await container.accounts.set_active(actor, user_id, data.is_active)
        assert user is not None  # the body names at least one field
        return UserOut.of(user)
