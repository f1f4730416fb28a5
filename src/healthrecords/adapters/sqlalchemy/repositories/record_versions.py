from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.models import RecordVersionRow
from healthrecords.adapters.sqlalchemy.repositories.data_keys import (
    KEY_COLUMNS,
    SqlDataKeys,
    with_data_key,
    wrapped_of,
)
from healthrecords.domain.records import RecordType, RecordVersion

TABLE = "health_record_version"


def version_aad(row: RecordVersionRow | RecordVersion) -> dict[str, object]:
    """The associated data of a kept version: record id, patient id and version."""
    return {
        "table": TABLE,
        "row_id": row.record_id,
        "patient_id": row.patient_id,
        "version": row.version,
    }


# Kept versions with the wrapped data key each was sealed under.
_VERSIONS = with_data_key(
    select(RecordVersionRow, *KEY_COLUMNS).select_from(RecordVersionRow), RecordVersionRow
)


def _open(cipher: FieldCipher, fetched: Any) -> RecordVersion:
    row: RecordVersionRow = fetched[0]
    data_key = wrapped_of(fetched._mapping, row.patient_id, row.key_id)

    def unseal(field: str, blob: bytes) -> str:
        return cipher.decrypt(
            blob,
            key_id=row.key_id,
            table=TABLE,
            field=field,
            row_id=row.record_id,
            patient_id=row.patient_id,
            version=row.version,
            data_key=data_key,
        )

    return RecordVersion(
        record_id=row.record_id,
        patient_id=row.patient_id,
        version=row.version,
        title=unseal("title", row.title_ciphertext),
        record_type=RecordType(row.record_type),
        content=unseal("content", row.content_ciphertext),
        recorded_at=row.recorded_at,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


class SqlRecordVersionRepository:
    def __init__(self, session: AsyncSession, cipher: FieldCipher, keys: SqlDataKeys) -> None:
        self._session = session
        self._cipher = cipher
        self._keys = keys

    async def add(self, version: RecordVersion) -> None:
        data_key = await self._keys.current(version.patient_id)

        def seal(field: str, text: str) -> tuple[str, bytes]:
            return self._cipher.encrypt(
                text,
                table=TABLE,
                field=field,
                row_id=version.record_id,
                patient_id=version.patient_id,
                version=version.version,
                data_key=data_key,
            )

        key_id, title = seal("title", version.title)
        _, content = seal("content", version.content)
        self._session.add(
            RecordVersionRow(
                record_id=version.record_id,
                patient_id=version.patient_id,
                version=version.version,
                record_type=version.record_type.value,
                key_id=key_id,
                title_ciphertext=title,
                content_ciphertext=content,
                recorded_at=version.recorded_at,
                updated_at=version.updated_at,
                updated_by=version.updated_by,
            )
        )
        await self._session.flush()

    async def get(self, record_id: UUID, version: int) -> RecordVersion | None:
        result = await self._session.execute(
            _VERSIONS.where(
                RecordVersionRow.record_id == record_id, RecordVersionRow.version == version
            )
        )
        row = result.first()
        return _open(self._cipher, row) if row else None

    async def list(
        self, record_id: UUID, limit: int, before: int | None
    ) -> Sequence[RecordVersion]:
        query = _VERSIONS.where(RecordVersionRow.record_id == record_id)
        if before is not None:
            query = query.where(RecordVersionRow.version < before)
        rows = await self._session.execute(
            query.order_by(RecordVersionRow.version.desc()).limit(limit)
        )
        return [_open(self._cipher, r) for r in rows]
