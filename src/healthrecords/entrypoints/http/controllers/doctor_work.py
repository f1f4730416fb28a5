"""/api/doctors/patients/ and /api/doctors/annotations/: a doctor's own work.

The doctors directory (GET /api/doctors/) lives in controllers/doctors.py.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import RequestBody

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.annotations import Annotation
from healthrecords.domain.idempotency import Answer
from healthrecords.entrypoints.http import idempotency
from healthrecords.entrypoints.http.openapi_errors import problems
from healthrecords.entrypoints.http.record_schemas import (
    AnnotationIn,
    AnnotationOut,
    AssignedPatientOut,
)


class DoctorWorkController(Controller):
    path = "/api/doctors"
    tags = ("doctors",)
    security = ({"BearerToken": []},)

    @get("/patients/", summary="The calling doctor's actively assigned patients", opt=problems(403))
    async def my_patients(
        self, container: NamedDependency[Container], actor: NamedDependency[Actor]
    ) -> list[AssignedPatientOut]:
        return [AssignedPatientOut.of(p) for p in await container.assignments.my_patients(actor)]

    @post(
        "/annotations/",
        summary="Annotate a record of an assigned patient",
        status_code=201,
        opt=problems(403, 404, 409, 422),
    )
    async def annotate(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        data: RequestBody[AnnotationIn],
        idempotency_key: idempotency.IdempotencyKey = None,
    ) -> Response[AnnotationOut]:
        made = await container.annotations.annotate(
            actor,
            data.record_id,
            data.body,
            idempotency.once(request, idempotency_key, data, created_answer),
        )
        if isinstance(made, Answer):
            return idempotency.replayed(made)
        return Response(AnnotationOut.of(made), status_code=201)


def created_answer(annotation: Annotation) -> Answer:
    return idempotency.json_answer(201, AnnotationOut.of(annotation))
