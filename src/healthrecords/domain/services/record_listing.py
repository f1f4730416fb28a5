"""A list read's page and the files it is audited under."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.pagination import Cursor
from healthrecords.domain.ports.unit_of_work import ReadWork
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.users import Role


def listed_files(actor: Actor, asked: UUID | None, items: Sequence[Record]) -> list[UUID | None]:
    """The files a list read is audited under: each file whose records it
    returned (so every patient's access log shows it), the asked-for or own
    file even when the page is empty, None for an empty all-files page."""
    if asked is not None:
        return [asked]
    if actor.role is Role.PATIENT:
        return [actor.id]
    returned: list[UUID | None] = list(dict.fromkeys(r.patient_id for r in items))
    return returned or [None]


async def every_file_page(
    uow: ReadWork,
    actor: Actor,
    record_type: RecordType | None,
    limit: int,
    after: Cursor | None,
) -> Sequence[Record]:
    """One more than `limit` of every file the caller may read (a named file's
    page comes with the reader's assignment fact: `RecordReads.list_for_reader`)."""
    if policy.reads_files_by_assignment(actor):
        return await uow.records.list_assigned(actor.id, record_type, limit + 1, after)
    files = await policy.visible_files(actor, uow.assignments)
    return await uow.records.list(files, record_type, limit + 1, after) if files else []
