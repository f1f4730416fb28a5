from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.keyset import after_key
from healthrecords.adapters.sqlalchemy.models import AnnotationRow
from healthrecords.adapters.sqlalchemy.repositories.data_keys import (
    KEY_COLUMNS,
    SqlDataKeys,
    with_data_key,
    wrapped_of,
)
from healthrecords.domain.annotations import Annotation
from healthrecords.domain.pagination import Cursor

TABLE = "annotation"
# Annotations with the wrapped data key each was sealed under.
_SEALED = with_data_key(select(AnnotationRow, *KEY_COLUMNS), AnnotationRow)
# One statement for any number of records: the ids travel as one expanding parameter.
OF_RECORDS = _SEALED.where(
    AnnotationRow.record_id.in_(bindparam("records", expanding=True))
).order_by(AnnotationRow.created_at, AnnotationRow.id)


def open_annotation(cipher: FieldCipher, fetched: Any) -> Annotation:
    row: AnnotationRow = fetched[0]
    return Annotation(
        id=row.id,
        record_id=row.record_id,
        patient_id=row.patient_id,
        author_id=row.author_id,
        body=cipher.decrypt(
            row.body_ciphertext,
            key_id=row.key_id,
            table=TABLE,
            field="body",
            row_id=row.id,
            patient_id=row.patient_id,
            data_key=wrapped_of(fetched._mapping, row.patient_id, row.key_id),
        ),
        created_at=row.created_at,
    )


class SqlAnnotationRepository:
    def __init__(self, session: AsyncSession, cipher: FieldCipher, keys: SqlDataKeys) -> None:
        self._session = session
        self._cipher = cipher
        self._keys = keys

    async def add(self, annotation: Annotation) -> None:
        data_key = await self._keys.current(annotation.patient_id)
        key_id, body = self._cipher.encrypt(
            annotation.body,
            table=TABLE,
            field="body",
            row_id=annotation.id,
            patient_id=annotation.patient_id,
            data_key=data_key,
        )
        self._session.add(
            AnnotationRow(
                id=annotation.id,
                record_id=annotation.record_id,
                patient_id=annotation.patient_id,
                author_id=annotation.author_id,
                key_id=key_id,
                body_ciphertext=body,
                created_at=annotation.created_at,
            )
        )
        await self._session.flush()

    async def list_for_record(self, record_id: UUID) -> Sequence[Annotation]:
        rows = await self._session.execute(
            _SEALED.where(AnnotationRow.record_id == record_id).order_by(
                AnnotationRow.created_at, AnnotationRow.id
            )
        )
        return [open_annotation(self._cipher, r) for r in rows]

    async def list_for_records(self, record_ids: Sequence[UUID]) -> Sequence[Annotation]:
        if not record_ids:
            return []
        rows = await self._session.execute(OF_RECORDS, {"records": list(record_ids)})
        return [open_annotation(self._cipher, r) for r in rows]

    async def list_page(
        self, record_id: UUID, limit: int, after: Cursor | None
    ) -> Sequence[Annotation]:
        query = _SEALED.where(AnnotationRow.record_id == record_id)
        if after is not None:
            query = query.where(
                tuple_(AnnotationRow.created_at, AnnotationRow.id)
                > after_key(after, AnnotationRow.created_at, AnnotationRow.id)
            )
        rows = await self._session.execute(
            query.order_by(AnnotationRow.created_at, AnnotationRow.id).limit(limit)
        )
        return [open_annotation(self._cipher, r) for r in rows]
