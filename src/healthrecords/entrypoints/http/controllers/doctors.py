"""/api/doctors/: the directory of active doctors, for any signed-in user."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from healthrecords.entrypoints.http.account_schemas import DoctorOut, DoctorPage
from healthrecords.entrypoints.http.openapi_errors import problems


class DoctorsDirectoryController(Controller):
    path = "/api/doctors"
    tags = ("doctors",)
    security = ({"BearerToken": []},)

    @get(
        "/",
        summary="Active doctors {id, full_name, verified}, oldest account first",
        opt=problems(422),
    )
    async def list_doctors(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> DoctorPage:
        page = await container.accounts.list_doctors(actor, limit, cursor)
        return DoctorPage(
            [DoctorOut(d.id, d.full_name, d.verified) for d in page.items], page.next_cursor
        )
