from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, bindparam, exists, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.keyset import after_key
from healthrecords.adapters.sqlalchemy.models import AssignmentRow, RecordRow
from healthrecords.adapters.sqlalchemy.repositories.record_pages import STATEMENTS
from healthrecords.domain.pagination import Cursor
from healthrecords.domain.records import FetchedRecord, Record, RecordType

TABLE = "health_record"
# Built once, with a bound parameter: nothing to construct or coerce per read.
LIVE_BY_ID = select(RecordRow).where(
    RecordRow.id == bindparam("record_id"), RecordRow.deleted_at.is_(None)
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
LIVE_FOR_READER = select(RecordRow, READER_ASSIGNED).where(
    RecordRow.id == bindparam("record_id"), RecordRow.deleted_at.is_(None)
)


def seal_record(cipher: FieldCipher, record: Record) -> dict[str, object]:
    """The encrypted columns for `record`, all under the current key."""

    def seal(field: str, text: str) -> tuple[str, bytes]:
        return cipher.encrypt(
            text, table=TABLE, field=field, row_id=record.id, patient_id=record.patient_id
        )

    key_id, title = seal("title", record.title)
    _, content = seal("content", record.content)
    return {"key_id": key_id, "title_ciphertext": title, "content_ciphertext": content}


def open_record(cipher: FieldCipher, row: RecordRow) -> Record:
    def unseal(field: str, blob: bytes) -> str:
        return cipher.decrypt(
            blob,
            key_id=row.key_id,
            table=TABLE,
            field=field,
            row_id=row.id,
            patient_id=row.patient_id,
        )

    return Record(
        id=row.id,
        patient_id=row.patient_id,
        author_id=row.author_id,
        title=unseal("title", row.title_ciphertext),
        record_type=RecordType(row.record_type),
        content=unseal("content", row.content_ciphertext),
        recorded_at=row.recorded_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        deleted_at=row.deleted_at,
        updated_by=row.updated_by,
    )


class SqlRecordRepository:
    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self._session = session
        self._cipher = cipher

    async def add(self, record: Record) -> None:
        self._session.add(
            RecordRow(
                id=record.id,
                patient_id=record.patient_id,
                author_id=record.author_id,
                record_type=record.record_type.value,
                recorded_at=record.recorded_at,
                created_at=record.created_at,
                updated_at=record.updated_at,
                version=record.version,
                deleted_at=record.deleted_at,
                updated_by=record.updated_by or record.author_id,
                **seal_record(self._cipher, record),
            )
        )
        await self._session.flush()

    async def get(self, record_id: UUID) -> Record | None:
        row = await self._session.scalar(LIVE_BY_ID, {"record_id": record_id})
        return open_record(self._cipher, row) if row else None

    async def get_for_reader(self, record_id: UUID, reader_id: UUID) -> FetchedRecord | None:
        result = await self._session.execute(
            LIVE_FOR_READER, {"record_id": record_id, "reader_id": reader_id}
        )
        found = result.first()
        if found is None:
            return None
        row, assigned = found
        return FetchedRecord(open_record(self._cipher, row), bool(assigned))

    async def list(
        self,
        patient_ids: Sequence[UUID],
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[Record]:
        def page_of(patient_id: UUID) -> Select[RecordRow]:
            # One index range scan per patient file: (patient_id[, record_type],
            # recorded_at, id) walked backwards from the cursor, `limit` rows at most.
            query = select(RecordRow).where(
                RecordRow.patient_id == patient_id, RecordRow.deleted_at.is_(None)
            )
            if record_type is not None:
                query = query.where(RecordRow.record_type == record_type.value)
            if after is not None:
                query = query.where(
                    tuple_(RecordRow.recorded_at, RecordRow.id)
                    < after_key(after, RecordRow.recorded_at, RecordRow.id)
                )
            return query.order_by(RecordRow.recorded_at.desc(), RecordRow.id.desc()).limit(limit)

        if not patient_ids:
            return []
        if len(patient_ids) == 1:
            rows = await self._session.scalars(page_of(patient_ids[0]))
            return [open_record(self._cipher, r) for r in rows]
        if self._session.get_bind().dialect.name == "postgresql":
            return await self._all_files_page(patient_ids, record_type, limit, after)
        # Embedded (SQLite, one user's scale): one expanding IN, compiled once.
        query = select(RecordRow).where(
            RecordRow.patient_id.in_(bindparam("files", expanding=True)),
            RecordRow.deleted_at.is_(None),
        )
        if record_type is not None:
            query = query.where(RecordRow.record_type == record_type.value)
        if after is not None:
            query = query.where(
                tuple_(RecordRow.recorded_at, RecordRow.id)
                < after_key(after, RecordRow.recorded_at, RecordRow.id)
            )
        query = query.order_by(RecordRow.recorded_at.desc(), RecordRow.id.desc()).limit(limit)
        rows = await self._session.scalars(query, {"files": list(patient_ids)})
        return [open_record(self._cipher, r) for r in rows]

    async def _all_files_page(
        self,
        patient_ids: Sequence[UUID],
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[Record]:
        statement = STATEMENTS[(record_type is not None, after is not None)]
        params: dict[str, object] = {"files": list(patient_ids), "limit": limit}
        if record_type is not None:
            params["record_type"] = record_type.value
        if after is not None:
            params["after_at"], params["after_id"] = after.at, after.id
        rows = await self._session.scalars(select(RecordRow).from_statement(statement), params)
        return [open_record(self._cipher, r) for r in rows]

    async def update(self, record: Record, expected_version: int) -> bool:
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
                **seal_record(self._cipher, record),
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
