"""Records and the assignment facts the policy needs, read straight through asyncpg."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from healthrecords.adapters.asyncpg.pool import DirectPool
from healthrecords.adapters.asyncpg.statements import Compiled
from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.repositories.assignments import ACTIVE_PAIR, ASSIGNED_FILES
from healthrecords.adapters.sqlalchemy.repositories.record_queries import (
    ALL_ASSIGNED,
    ALL_FILES,
    LIVE_BY_ID,
    LIVE_FOR_READER,
    ONE_FILE,
    ONE_FILE_FOR_READER,
    SHAPES,
    page_params,
    shape_of,
)
from healthrecords.adapters.sqlalchemy.repositories.record_rows import open_page, open_record
from healthrecords.domain.assignments import Assignment
from healthrecords.domain.pagination import Cursor
from healthrecords.domain.records import FetchedPage, FetchedRecord, Record, RecordType

_LIVE_BY_ID = Compiled.of(LIVE_BY_ID)
_LIVE_FOR_READER = Compiled.of(LIVE_FOR_READER)
_ONE_FILE = {shape: Compiled.of(ONE_FILE[shape]) for shape in SHAPES}
_ONE_FILE_FOR_READER = {shape: Compiled.of(ONE_FILE_FOR_READER[shape]) for shape in SHAPES}
_ALL_FILES = {shape: Compiled.of(ALL_FILES[shape]) for shape in SHAPES}
_ALL_ASSIGNED = {shape: Compiled.of(ALL_ASSIGNED[shape]) for shape in SHAPES}
_ACTIVE_PAIR = Compiled.of(ACTIVE_PAIR)
_ASSIGNED_FILES = Compiled.of(ASSIGNED_FILES)


class DirectRecordReads:
    def __init__(self, pool: DirectPool, cipher: FieldCipher) -> None:
        self._pool = pool
        self._cipher = cipher

    async def get(self, record_id: UUID) -> Record | None:
        row = await self._pool.fetchrow(_LIVE_BY_ID, {"record_id": record_id})
        return open_record(self._cipher, row) if row else None

    async def get_for_reader(self, record_id: UUID, reader_id: UUID) -> FetchedRecord | None:
        params = {"record_id": record_id, "reader_id": reader_id}
        row = await self._pool.fetchrow(_LIVE_FOR_READER, params)
        if row is None:
            return None
        return FetchedRecord(open_record(self._cipher, row), bool(row["reader_assigned"]))

    async def list(
        self,
        patient_ids: Sequence[UUID],
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[Record]:
        if not patient_ids:
            return []
        shape = shape_of(record_type, after)
        params: dict[str, Any] = page_params(record_type, after, limit)
        if len(patient_ids) == 1:
            statement = _ONE_FILE[shape]
            params["patient_id"] = patient_ids[0]
        else:
            statement = _ALL_FILES[shape]
            params["files"] = list(patient_ids)
        rows = await self._pool.fetch(statement, params)
        return [open_record(self._cipher, r) for r in rows]

    async def list_for_reader(
        self,
        patient_id: UUID,
        reader_id: UUID,
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> FetchedPage:
        params: dict[str, Any] = page_params(record_type, after, limit)
        params["patient_id"], params["reader_id"] = patient_id, reader_id
        rows = await self._pool.fetch(_ONE_FILE_FOR_READER[shape_of(record_type, after)], params)
        return open_page(self._cipher, rows)

    async def list_assigned(
        self,
        doctor_id: UUID,
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[Record]:
        shape = shape_of(record_type, after)
        params: dict[str, Any] = page_params(record_type, after, limit)
        params["doctor_id"] = doctor_id
        rows = await self._pool.fetch(_ALL_ASSIGNED[shape], params)
        return [open_record(self._cipher, r) for r in rows]


class DirectAssignmentFacts:
    def __init__(self, pool: DirectPool) -> None:
        self._pool = pool

    async def get_active(self, doctor_id: UUID, patient_id: UUID) -> Assignment | None:
        params = {"doctor_id": doctor_id, "patient_id": patient_id}
        row = await self._pool.fetchrow(_ACTIVE_PAIR, params)
        if row is None:
            return None
        return Assignment(
            id=row["id"],
            doctor_id=row["doctor_id"],
            patient_id=row["patient_id"],
            assigned_by=row["assigned_by"],
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
            revoked_by=row["revoked_by"],
        )

    async def assigned_files(self, doctor_id: UUID) -> Sequence[UUID]:
        rows = await self._pool.fetch(_ASSIGNED_FILES, {"doctor_id": doctor_id})
        return [r["patient_id"] for r in rows]
