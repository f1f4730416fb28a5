"""Crypto-shredding: the patient's data keys deleted, in the erasure's transaction.

Rows sealed under a data key are left as they are: without the key they are
noise, here and in every copy of the database (once the master keys of those
copies are retired, README Backups). Rows still under a master key (written
before data keys and not yet moved) have no key of their own to destroy, so
their ciphertext is blanked and their key_id set to a data key that never
exists; either way reads no longer return them. Stored first answers to
Idempotency-Keys that carry the file's data (sealed under a master key, kept
24 h for retries) are deleted.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.security.data_keys import data_key_ref
from healthrecords.adapters.sqlalchemy.models import (
    AnnotationRow,
    DataKeyRow,
    IdempotencyKeyRow,
    RecordRow,
    UserRow,
)
from healthrecords.adapters.sqlalchemy.repositories.data_keys import under_master_key
from healthrecords.adapters.sqlalchemy.resealing import FILE_TABLES

# Generations start at 1: "dk:0" names a key no patient ever has.
SHREDDED = data_key_ref(0)


class SqlPatientKeys:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def destroy(self, patient_id: UUID) -> bool:
        # FOR UPDATE: waits for writes still sealing under the key (they hold
        # the account FOR KEY SHARE), and makes later ones see it erased.
        locked = select(UserRow.erased_at).where(UserRow.id == patient_id).with_for_update()
        account = (await self._session.execute(locked)).first()
        if account is None or account.erased_at is not None:
            return False
        await self._session.execute(delete(DataKeyRow).where(DataKeyRow.patient_id == patient_id))
        for sealed in FILE_TABLES:
            model: Any = sealed.model
            blank = dict.fromkeys(sealed.columns.values(), b"")
            await self._session.execute(
                update(model)
                .where(model.patient_id == patient_id, under_master_key(model))
                .values(key_id=SHREDDED, **blank)
                .execution_options(synchronize_session=False)
            )
        answers = IdempotencyKeyRow
        of_file = [
            select(m.id).where(m.patient_id == patient_id) for m in (RecordRow, AnnotationRow)
        ]
        await self._session.execute(
            delete(answers)
            .where(
                (answers.user_id == patient_id)
                | answers.subject_id.in_(of_file[0])
                | answers.subject_id.in_(of_file[1])
            )
            .execution_options(synchronize_session=False)
        )
        return True
