from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast
from uuid import UUID

from sqlalchemy import Executable, Table, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.models import RecordRow
from healthrecords.adapters.sqlalchemy.repositories.data_keys import SqlDataKeys
from healthrecords.adapters.sqlalchemy.repositories.record_queries import (
    ALL_ASSIGNED,
    ALL_FILES,
    ANY_ASSIGNED,
    ANY_FILE,
    LIVE_BY_ID,
    LIVE_FOR_READER,
    ONE_FILE,
    ONE_FILE_FOR_READER,
    page_params,
    shape_of,
)
from healthrecords.adapters.sqlalchemy.repositories.record_rows import (
    open_page,
    open_record,
    record_row,
    seal_record,
)
from healthrecords.domain.pagination import Cursor
from healthrecords.domain.records import FetchedPage, FetchedRecord, Record, RecordType

INSERT_RECORD = insert(cast(Table, RecordRow.__table__))


class SqlRecordRepository:
    def __init__(self, session: AsyncSession, cipher: FieldCipher, keys: SqlDataKeys) -> None:
        self._session = session
        self._cipher = cipher
        self._keys = keys

    async def add(self, record: Record) -> None:
        data_key = await self._keys.current(record.patient_id)
        # A Core insert, like the audit row's: the row is never read back in
        # this session, so the ORM's flush machinery would be pure overhead.
        await self._session.execute(INSERT_RECORD, record_row(self._cipher, record, data_key))

    async def get(self, record_id: UUID) -> Record | None:
        result = await self._session.execute(LIVE_BY_ID, {"record_id": record_id})
        row = result.mappings().first()
        return open_record(self._cipher, row) if row else None

    async def get_for_reader(self, record_id: UUID, reader_id: UUID) -> FetchedRecord | None:
        result = await self._session.execute(
            LIVE_FOR_READER, {"record_id": record_id, "reader_id": reader_id}
        )
        row = result.mappings().first()
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
        params = page_params(record_type, after, limit)
        statement: Executable
        if len(patient_ids) == 1:
            statement = ONE_FILE[shape]
            params["patient_id"] = patient_ids[0]
        elif self._session.get_bind().dialect.name == "postgresql":
            statement = ALL_FILES[shape]
            params["files"] = list(patient_ids)
        else:
            statement = ANY_FILE[shape]
            params["files"] = list(patient_ids)
        result = await self._session.execute(statement, params)
        return [open_record(self._cipher, r) for r in result.mappings()]

    async def list_for_reader(
        self,
        patient_id: UUID,
        reader_id: UUID,
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> FetchedPage:
        params = page_params(record_type, after, limit)
        params["patient_id"], params["reader_id"] = patient_id, reader_id
        shape = shape_of(record_type, after)
        result = await self._session.execute(ONE_FILE_FOR_READER[shape], params)
        return open_page(self._cipher, result.mappings().all())

    async def list_assigned(
        self,
        doctor_id: UUID,
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[Record]:
        shape = shape_of(record_type, after)
        params = page_params(record_type, after, limit)
        params["doctor_id"] = doctor_id
        postgres = self._session.get_bind().dialect.name == "postgresql"
        statement: Executable = ALL_ASSIGNED[shape] if postgres else ANY_ASSIGNED[shape]
        result = await self._session.execute(statement, params)
        return [open_record(self._cipher, r) for r in result.mappings()]

    async def update(self, record: Record, expected_version: int) -> bool:
        data_key = await self._keys.current(record.patient_id)
        result = await self._session.execute(
            update(RecordRow)
            .where(
                RecordRow.id == record.id,
                RecordRow.version == expected_version,
                RecordRow.deleted_at.is_(None),
            )
            .values(
                record_type=record.record_type.value,
                recorded_at=record.recorded_at,
                updated_at=record.updated_at,
                version=record.version,
                updated_by=record.updated_by or record.author_id,
                **seal_record(self._cipher, record, data_key),
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def soft_delete(self, record_id: UUID, at: datetime) -> None:
        await self._session.execute(
            update(RecordRow)
            .where(RecordRow.id == record_id, RecordRow.deleted_at.is_(None))
            .values(deleted_at=at)
            .execution_options(synchronize_session=False)
        )
