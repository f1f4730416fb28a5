"""Break-glass grants; the reason sealed under the patient's data key like the file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.keyset import after_key
from healthrecords.adapters.sqlalchemy.models import EmergencyAccessRow, UserRow
from healthrecords.adapters.sqlalchemy.repositories.data_keys import (
    KEY_COLUMNS,
    SqlDataKeys,
    with_data_key,
    wrapped_of,
)
from healthrecords.domain.emergency import EmergencyAccess
from healthrecords.domain.pagination import Cursor

TABLE = "emergency_access"
_SEALED = with_data_key(
    select(EmergencyAccessRow, *KEY_COLUMNS).select_from(EmergencyAccessRow), EmergencyAccessRow
)
_NEWEST_FIRST = (EmergencyAccessRow.created_at.desc(), EmergencyAccessRow.id.desc())


class SqlEmergencyAccessGrants:
    def __init__(self, session: AsyncSession, cipher: FieldCipher, keys: SqlDataKeys) -> None:
        self._session = session
        self._cipher = cipher
        self._keys = keys

    def _aad(self, row_id: UUID, patient_id: UUID) -> dict[str, Any]:
        return {"table": TABLE, "field": "reason", "row_id": row_id, "patient_id": patient_id}

    def _open(self, fetched: Any) -> EmergencyAccess:
        row: EmergencyAccessRow = fetched[0]
        reason = self._cipher.decrypt(
            row.reason_ciphertext,
            key_id=row.key_id,
            data_key=wrapped_of(fetched._mapping, row.patient_id, row.key_id),
            **self._aad(row.id, row.patient_id),
        )
        return EmergencyAccess(
            id=row.id,
            doctor_id=row.doctor_id,
            patient_id=row.patient_id,
            reason=reason,
            created_at=row.created_at,
            expires_at=row.expires_at,
            ended_at=row.ended_at,
            ended_by=row.ended_by,
        )

    async def opened_since(self, doctor_id: UUID, since: datetime) -> Sequence[datetime]:
        # A write first: it takes the doctor's row (PostgreSQL) or the database
        # (SQLite) until commit, so concurrent openings are counted in turn.
        await self._session.execute(
            update(UserRow)
            .where(UserRow.id == doctor_id)
            .values(notification_seq=UserRow.notification_seq)
            .execution_options(synchronize_session=False)
        )
        opened = await self._session.scalars(
            select(EmergencyAccessRow.created_at)
            .where(EmergencyAccessRow.doctor_id == doctor_id, EmergencyAccessRow.created_at > since)
            .order_by(EmergencyAccessRow.created_at)
        )
        return list(opened)

    async def add(self, grant: EmergencyAccess) -> None:
        data_key = await self._keys.current(grant.patient_id)
        key_id, reason = self._cipher.encrypt(
            grant.reason, data_key=data_key, **self._aad(grant.id, grant.patient_id)
        )
        self._session.add(
            EmergencyAccessRow(
                id=grant.id,
                doctor_id=grant.doctor_id,
                patient_id=grant.patient_id,
                key_id=key_id,
                reason_ciphertext=reason,
                created_at=grant.created_at,
                expires_at=grant.expires_at,
            )
        )
        await self._session.flush()

    async def get(self, grant_id: UUID) -> EmergencyAccess | None:
        result = await self._session.execute(_SEALED.where(EmergencyAccessRow.id == grant_id))
        row = result.first()
        return self._open(row) if row else None

    async def list_page(self, limit: int, after: Cursor | None) -> Sequence[EmergencyAccess]:
        query = _SEALED
        if after is not None:
            query = query.where(
                tuple_(EmergencyAccessRow.created_at, EmergencyAccessRow.id)
                < after_key(after, EmergencyAccessRow.created_at, EmergencyAccessRow.id)
            )
        rows = await self._session.execute(query.order_by(*_NEWEST_FIRST).limit(limit))
        return [self._open(r) for r in rows]

    async def end(self, grant_id: UUID, at: datetime, by: UUID) -> bool:
        result = await self._session.execute(
            update(EmergencyAccessRow)
            .where(EmergencyAccessRow.id == grant_id, EmergencyAccessRow.ended_at.is_(None))
            .values(ended_at=at, ended_by=by)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]
