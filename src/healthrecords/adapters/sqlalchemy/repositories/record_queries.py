"""The record reads, each statement built once with bound parameters.

One source of SQL for both read paths: the SQLAlchemy repository executes
these, and the lean PostgreSQL path (adapters/asyncpg) compiles the same
statements once to asyncpg's `$n` form. Rows come back as plain columns (no
ORM objects) and are opened by `record_rows.open_record`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, exists, select, true, tuple_
from sqlalchemy.sql.selectable import TextualSelect

from healthrecords.adapters.sqlalchemy.models import AssignmentRow, RecordRow
from healthrecords.adapters.sqlalchemy.repositories.data_keys import KEY_COLUMNS, with_data_key
from healthrecords.adapters.sqlalchemy.repositories.record_pages import (
    ASSIGNED_STATEMENTS,
    COLUMNS,
    STATEMENTS,
)
from healthrecords.domain.pagination import Cursor
from healthrecords.domain.records import RecordType

LIVE = RecordRow.deleted_at.is_(None)

# Each row comes with its patient's wrapped data key (data_keys.py).
LIVE_BY_ID = with_data_key(select(*COLUMNS, *KEY_COLUMNS), RecordRow).where(
    RecordRow.id == bindparam("record_id"), LIVE
)
# The record and the reader's active-assignment fact in one round trip; the
# policy decides on both (domain/policy.py, read_fetched).
READER_ASSIGNED = (
    exists()
    .where(
        AssignmentRow.doctor_id == bindparam("reader_id"),
        AssignmentRow.patient_id == RecordRow.patient_id,
        AssignmentRow.revoked_at.is_(None),
    )
    .correlate(RecordRow)
    .label("reader_assigned")
)
LIVE_FOR_READER = with_data_key(select(*COLUMNS, *KEY_COLUMNS, READER_ASSIGNED), RecordRow).where(
    RecordRow.id == bindparam("record_id"), LIVE
)

# Typed like the columns they meet: on SQLite an untyped datetime or UUID
# binds as text and the keyset comparison skips rows.
_AFTER = tuple_(RecordRow.recorded_at, RecordRow.id) < tuple_(
    bindparam("after_at", type_=RecordRow.recorded_at.type),
    bindparam("after_id", type_=RecordRow.id.type),
)
_NEWEST_FIRST = (RecordRow.recorded_at.desc(), RecordRow.id.desc())


def _page(files: Any, kind: bool, after: bool) -> Select[Any]:
    query = with_data_key(select(*COLUMNS, *KEY_COLUMNS), RecordRow).where(files, LIVE)
    if kind:
        query = query.where(RecordRow.record_type == bindparam("record_type"))
    if after:
        query = query.where(_AFTER)
    return query.order_by(*_NEWEST_FIRST).limit(bindparam("limit"))


Shape = tuple[bool, bool]  # (filtered by record type, after a cursor)
SHAPES: list[Shape] = [(kind, after) for kind in (False, True) for after in (False, True)]
# One file: an index range scan (patient_id[, record_type], recorded_at, id)
# walked backwards from the cursor, `limit` rows at most.
ONE_FILE: dict[Shape, Select[Any]] = {
    s: _page(RecordRow.patient_id == bindparam("patient_id"), *s) for s in SHAPES
}
# One file's page and the reader's active-assignment fact in one round trip,
# the fact also for an empty page: a one-row select of the fact with the page
# left-joined to it. The policy decides on both (domain/policy.py, list_fetched).
_FILE_ASSIGNED = (
    exists()
    .where(
        AssignmentRow.doctor_id == bindparam("reader_id"),
        AssignmentRow.patient_id == bindparam("patient_id"),
        AssignmentRow.revoked_at.is_(None),
    )
    .label("reader_assigned")
)


def _for_reader(shape: Shape) -> Select[Any]:
    page = ONE_FILE[shape].subquery("page")
    fact = select(_FILE_ASSIGNED).subquery("fact")
    return (
        select(fact.c.reader_assigned, *page.c)
        .select_from(fact.outerjoin(page, true()))
        .order_by(page.c.recorded_at.desc(), page.c.id.desc())
    )


ONE_FILE_FOR_READER: dict[Shape, Select[Any]] = {s: _for_reader(s) for s in SHAPES}
# Several files, embedded (SQLite, one user's scale): one expanding IN.
ANY_FILE: dict[Shape, Select[Any]] = {
    s: _page(RecordRow.patient_id.in_(bindparam("files", expanding=True)), *s) for s in SHAPES
}
# Several files on PostgreSQL: heads, bar, page over a uuid[] (record_pages.py).
ALL_FILES: dict[Shape, TextualSelect] = {s: STATEMENTS[s] for s in SHAPES}
# A doctor's assigned files, read in the same statement as the records.
_ASSIGNED_FILES = select(AssignmentRow.patient_id).where(
    AssignmentRow.doctor_id == bindparam("doctor_id"), AssignmentRow.revoked_at.is_(None)
)
ANY_ASSIGNED: dict[Shape, Select[Any]] = {
    s: _page(RecordRow.patient_id.in_(_ASSIGNED_FILES), *s) for s in SHAPES
}
ALL_ASSIGNED: dict[Shape, TextualSelect] = {s: ASSIGNED_STATEMENTS[s] for s in SHAPES}


def page_params(
    record_type: RecordType | None, after: Cursor | None, limit: int
) -> dict[str, object]:
    """The bound values of a page statement of the shape `shape_of` names."""
    params: dict[str, object] = {"limit": limit}
    if record_type is not None:
        params["record_type"] = record_type.value
    if after is not None:
        params["after_at"], params["after_id"] = after.at, after.id
    return params


def shape_of(record_type: RecordType | None, after: Cursor | None) -> Shape:
    return (record_type is not None, after is not None)
