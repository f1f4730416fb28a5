"""Password-reset tokens, stored only as SHA-256 digests."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.sqlalchemy.models import PasswordResetRow
from healthrecords.adapters.sqlalchemy.repositories.rowcount import rowcount
from healthrecords.domain.password_resets import PasswordReset


class SqlPasswordResets:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, reset: PasswordReset) -> bool:
        row = PasswordResetRow(
            id=reset.id,
            user_id=reset.user_id,
            token_hash=reset.token_hash,
            created_at=reset.created_at,
            expires_at=reset.expires_at,
            hour=reset.hour,
            slot=reset.slot,
            used_at=reset.used_at,
        )
        try:
            # A savepoint: a taken slot undoes this row only, not the audit event.
            async with self._session.begin_nested():
                self._session.add(row)
                await self._session.flush()
        except IntegrityError:
            return False
        return True

    async def get_by_hash(self, token_hash: str) -> PasswordReset | None:
        row = await self._session.scalar(
            select(PasswordResetRow).where(PasswordResetRow.token_hash == token_hash)
        )
        if row is None:
            return None
        return PasswordReset(
            id=row.id,
            user_id=row.user_id,
            token_hash=row.token_hash,
            created_at=row.created_at,
            expires_at=row.expires_at,
            hour=row.hour,
            slot=row.slot,
            used_at=row.used_at,
        )

    async def count_in_hour(self, user_id: UUID, hour: int) -> int:
        found = await self._session.scalar(
            select(func.count())
            .select_from(PasswordResetRow)
            .where(PasswordResetRow.user_id == user_id, PasswordResetRow.hour == hour)
        )
        return int(found or 0)

    async def use(self, reset_id: UUID, at: datetime) -> bool:
        statement = (
            update(PasswordResetRow)
            .where(
                PasswordResetRow.id == reset_id,
                PasswordResetRow.used_at.is_(None),
                PasswordResetRow.expires_at > at,
            )
            .values(used_at=at)
        )
        return await rowcount(self._session, statement) == 1

    async def void_all(self, user_id: UUID, at: datetime) -> None:
        statement = (
            update(PasswordResetRow)
            .where(PasswordResetRow.user_id == user_id, PasswordResetRow.used_at.is_(None))
            .values(used_at=at)
        )
        await rowcount(self._session, statement)
