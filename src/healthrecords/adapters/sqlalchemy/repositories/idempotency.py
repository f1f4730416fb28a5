from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.models import IdempotencyKeyRow
from healthrecords.domain.errors import Conflict
from healthrecords.domain.idempotency import Answer, KeyedAnswer

TABLE = "idempotency_key"


class SqlIdempotencyKeys:
    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self._session = session
        self._cipher = cipher

    async def find(
        self, user_id: UUID, scope: str, key_digest: str, now: datetime
    ) -> KeyedAnswer | None:
        row = await self._session.scalar(
            select(IdempotencyKeyRow).where(
                IdempotencyKeyRow.user_id == user_id,
                IdempotencyKeyRow.scope == scope,
                IdempotencyKeyRow.key_digest == key_digest,
                IdempotencyKeyRow.expires_at > now,
            )
        )
        return self._open(row) if row else None

    async def add(self, keyed: KeyedAnswer) -> None:
        # An expired key may be used afresh; the purge may not have run yet.
        await self._session.execute(
            delete(IdempotencyKeyRow).where(
                IdempotencyKeyRow.user_id == keyed.user_id,
                IdempotencyKeyRow.scope == keyed.scope,
                IdempotencyKeyRow.key_digest == keyed.key_digest,
                IdempotencyKeyRow.expires_at <= keyed.created_at,
            )
        )
        row_id = uuid4()
        key_id, body = self._cipher.encrypt(
            keyed.answer.body.decode(),
            table=TABLE,
            field="body",
            row_id=row_id,
            patient_id=keyed.user_id,
        )
        self._session.add(
            IdempotencyKeyRow(
                id=row_id,
                user_id=keyed.user_id,
                scope=keyed.scope,
                key_digest=keyed.key_digest,
                fingerprint=keyed.fingerprint,
                status=keyed.answer.status,
                headers=json.dumps(keyed.answer.headers),
                key_id=key_id,
                body_ciphertext=body,
                subject_id=keyed.subject_id,
                created_at=keyed.created_at,
                expires_at=keyed.expires_at,
            )
        )
        try:
            await self._session.flush()
        except IntegrityError as exc:
            # uq_idempotency_key_user_scope: a concurrent request committed it first.
            raise Conflict("This Idempotency-Key is already stored.") from exc

    async def purge(self, now: datetime, limit: int) -> int:
        batch = (
            select(IdempotencyKeyRow.id)
            .where(IdempotencyKeyRow.expires_at <= now)
            .order_by(IdempotencyKeyRow.expires_at)
            .limit(limit)
        )
        result = await self._session.execute(
            delete(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.id.in_(batch.scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def _open(self, row: IdempotencyKeyRow) -> KeyedAnswer:
        body = self._cipher.decrypt(
            row.body_ciphertext,
            key_id=row.key_id,
            table=TABLE,
            field="body",
            row_id=row.id,
            patient_id=row.user_id,
        )
        return KeyedAnswer(
            user_id=row.user_id,
            scope=row.scope,
            key_digest=row.key_digest,
            fingerprint=row.fingerprint,
            answer=Answer(
                status=row.status,
                body=body.encode(),
                headers=tuple((str(k), str(v)) for k, v in json.loads(row.headers)),
            ),
            subject_id=row.subject_id,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )
