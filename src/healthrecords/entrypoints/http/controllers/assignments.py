"""/api/assignments/: which doctors may read which patient files."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter, RequestBody

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.idempotency import Answer
from healthrecords.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from healthrecords.domain.services.assignments import Assigned
from healthrecords.entrypoints.http import idempotency
from healthrecords.entrypoints.http.openapi_errors import problems
from healthrecords.entrypoints.http.record_schemas import (
    AssignmentIn,
    AssignmentOut,
    AssignmentPage,
)


class AssignmentsController(Controller):
    path = "/api/assignments"
    tags = ("assignments",)
    security = ({"BearerToken": []},)

    @post(
        "/",
        summary="Assign a doctor to a patient (201); already assigned answers 200 with it",
        status_code=201,
        responses={
            200: ResponseSpec(
                data_container=AssignmentOut,
                description="Already assigned: the active assignment, unchanged",
            )
        },
        opt=problems(403, 404, 409, 422),
    )
    async def assign(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        data: RequestBody[AssignmentIn],
        idempotency_key: idempotency.IdempotencyKey = None,
    ) -> Response[AssignmentOut]:
        made = await container.assignments.assign(
            actor,
            data.doctor_id,
            data.patient_id,
            idempotency.once(request, idempotency_key, data, made_answer),
        )
        if isinstance(made, Answer):
            return idempotency.replayed(made)
        return Response(
            AssignmentOut.of(made.assignment, made.doctor_verified), status_code=status_of(made)
        )

    @get(
        "/",
        summary="The caller's assignments (admins: all), newest first (keyset pages)",
        opt=problems(422),
    )
    async def list_assignments(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        include_revoked: Annotated[bool, QueryParameter()] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> AssignmentPage:
        page = await container.assignments.list(actor, include_revoked, limit, cursor)
        return AssignmentPage(
            [AssignmentOut.of(v.assignment, v.doctor_verified) for v in page.items],
            page.next_cursor,
        )

    @delete(
        "/{assignment_id:uuid}/",
        summary="Revoke: the doctor's access ends at once",
        opt=problems(403),
    )
    async def revoke(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        assignment_id: FromPath[UUID],
    ) -> None:
        await container.assignments.revoke(actor, assignment_id)


def status_of(made: Assigned) -> int:
    return 201 if made.created else 200


def made_answer(made: Assigned) -> Answer:
    return idempotency.json_answer(
        status_of(made), AssignmentOut.of(made.assignment, made.doctor_verified)
    )
