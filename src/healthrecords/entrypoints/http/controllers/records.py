"""/api/records/: a patient file's health records, and their annotations."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, QueryParameter, RequestBody

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.idempotency import Answer
from healthrecords.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.services.record_inputs import NewRecord, RecordChanges
from healthrecords.entrypoints.http import idempotency
from healthrecords.entrypoints.http.openapi_errors import problems
from healthrecords.entrypoints.http.record_schemas import (
    AnnotationOut,
    AnnotationPage,
    RecordIn,
    RecordOut,
    RecordPage,
    RecordUpdateIn,
)
from healthrecords.entrypoints.http.version_schemas import RecordVersionOut, RecordVersionPage

NEVER_MATCHES = -1
# Declared so generated clients expose it: send it back as If-Match on PUT.
ETAG = [
    ResponseHeader(
        name="ETag",
        description='The record\'s version, quoted ("3"); send it as If-Match to update.',
        documentation_only=True,
        required=True,
    )
]


def etag(record: Record) -> str:
    return f'"{record.version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match names; None for no header or `*`.

    Anything unparseable can match no version, so it is answered with 412.
    """
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    return int(tag) if tag.isdigit() and len(tag) < 12 else NEVER_MATCHES


def with_etag(record: Record, status_code: int = 200) -> Response[RecordOut]:
    return Response(RecordOut.of(record), status_code=status_code, headers={"ETag": etag(record)})


def created_answer(record: Record) -> Answer:
    return idempotency.json_answer(201, RecordOut.of(record), ("ETag", etag(record)))


class RecordsController(Controller):
    path = "/api/records"
    tags = ("records",)
    security = ({"BearerToken": []},)

    @get(
        "/",
        summary="Records the caller may read, newest first (keyset pages)",
        opt=problems(403, 404, 422),
    )
    async def list_records(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        patient_id: Annotated[UUID | None, QueryParameter()] = None,
        record_type: Annotated[RecordType | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> RecordPage:
        page = await container.records.list(
            actor, patient_id=patient_id, record_type=record_type, limit=limit, cursor=cursor
        )
        return RecordPage([RecordOut.of(r) for r in page.items], page.next_cursor)

    @post(
        "/",
        summary="Add a record to a patient file",
        status_code=201,
        opt=problems(403, 404, 409, 422),
        response_headers=ETAG,
    )
    async def create_record(
        self,
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        data: RequestBody[RecordIn],
        idempotency_key: idempotency.IdempotencyKey = None,
    ) -> Response[RecordOut]:
        made = await container.records.create(
            actor,
            NewRecord(
                title=data.title,
                record_type=data.record_type,
                content=data.content,
                recorded_at=data.recorded_at,
                patient_id=data.patient_id,
            ),
            idempotency.once(request, idempotency_key, data, created_answer),
        )
        if isinstance(made, Answer):
            return idempotency.replayed(made)
        return with_etag(made, 201)

    @get(
        "/{record_id:uuid}/", summary="One record, with its version as ETag", response_headers=ETAG
    )
    async def get_record(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        record_id: FromPath[UUID],
    ) -> Response[RecordOut]:
        return with_etag(await container.records.get(actor, record_id))

    @put(
        "/{record_id:uuid}/",
        summary="Replace a record; If-Match with a stale ETag is 412",
        opt=problems(403, 409, 412, 422),
        response_headers=ETAG,
    )
    async def update_record(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        record_id: FromPath[UUID],
        data: RequestBody[RecordUpdateIn],
        if_match: Annotated[str | None, HeaderParameter(name="If-Match", max_length=64)] = None,
    ) -> Response[RecordOut]:
        record = await container.records.update(
            actor,
            record_id,
            RecordChanges(
                title=data.title,
                record_type=data.record_type,
                content=data.content,
                recorded_at=data.recorded_at,
            ),
            expected_version(if_match),
        )
        return with_etag(record)

    @delete(
        "/{record_id:uuid}/",
        summary="Delete a record (kept for the audit)",
        status_code=204,
        opt=problems(403),
    )
    async def delete_record(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        record_id: FromPath[UUID],
    ) -> None:
        await container.records.delete(actor, record_id)

    @get(
        "/{record_id:uuid}/versions/",
        summary="A record's versions, newest first (keyset pages)",
        opt=problems(422),
    )
    async def list_versions(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        record_id: FromPath[UUID],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> RecordVersionPage:
        page = await container.record_history.list(actor, record_id, limit, cursor)
        return RecordVersionPage([RecordVersionOut.of(v) for v in page.items], page.next_cursor)

    @get("/{record_id:uuid}/versions/{version:int}/", summary="One version of a record")
    async def get_version(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        record_id: FromPath[UUID],
        version: FromPath[int],
    ) -> RecordVersionOut:
        return RecordVersionOut.of(await container.record_history.get(actor, record_id, version))

    @get(
        "/{record_id:uuid}/annotations/",
        summary="Doctors' annotations on a record, oldest first (keyset pages)",
        opt=problems(422),
    )
    async def list_annotations(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        record_id: FromPath[UUID],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> AnnotationPage:
        page = await container.annotations.for_record(actor, record_id, limit, cursor)
        return AnnotationPage([AnnotationOut.of(a) for a in page.items], page.next_cursor)
