"""Refresh tokens and their families; only SHA-256 hashes of tokens are stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.sqlalchemy.models import RefreshTokenFamilyRow, RefreshTokenRow
from healthrecords.domain.tokens import RefreshToken, RefreshTokenFamily


def _to_family(row: RefreshTokenFamilyRow) -> RefreshTokenFamily:
    return RefreshTokenFamily(
        id=row.id, user_id=row.user_id, created_at=row.created_at, revoked_at=row.revoked_at
    )


def _to_token(row: RefreshTokenRow) -> RefreshToken:
    return RefreshToken(
        id=row.id,
        family_id=row.family_id,
        user_id=row.user_id,
        token_hash=row.token_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        spent_at=row.spent_at,
    )


class SqlRefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_family(self, family: RefreshTokenFamily) -> None:
        self._session.add(
            RefreshTokenFamilyRow(
                id=family.id,
                user_id=family.user_id,
                created_at=family.created_at,
                revoked_at=family.revoked_at,
            )
        )
        await self._session.flush()

    async def get_family(self, family_id: UUID) -> RefreshTokenFamily | None:
        row = await self._session.scalar(
            select(RefreshTokenFamilyRow).where(RefreshTokenFamilyRow.id == family_id)
        )
        return _to_family(row) if row else None

    async def revoke_family(self, family_id: UUID, at: datetime) -> None:
        await self._execute(
            update(RefreshTokenFamilyRow)
            .where(
                RefreshTokenFamilyRow.id == family_id, RefreshTokenFamilyRow.revoked_at.is_(None)
            )
            .values(revoked_at=at)
        )

    async def revoke_all_for_user(self, user_id: UUID, at: datetime) -> None:
        await self._execute(
            update(RefreshTokenFamilyRow)
            .where(
                RefreshTokenFamilyRow.user_id == user_id, RefreshTokenFamilyRow.revoked_at.is_(None)
            )
            .values(revoked_at=at)
        )

    async def add(self, token: RefreshToken) -> None:
        self._session.add(
            RefreshTokenRow(
                id=token.id,
                family_id=token.family_id,
                user_id=token.user_id,
                token_hash=token.token_hash,
                created_at=token.created_at,
                expires_at=token.expires_at,
                spent_at=token.spent_at,
            )
        )
        await self._session.flush()

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        row = await self._session.scalar(
            select(RefreshTokenRow).where(RefreshTokenRow.token_hash == token_hash)
        )
        return _to_token(row) if row else None

    async def spend(self, token_id: UUID, at: datetime) -> bool:
        # Compare-and-set: a concurrent transaction waits on the row lock, then
        # finds spent_at set and updates nothing, so only one caller wins.
        count = await self._execute(
            update(RefreshTokenRow)
            .where(RefreshTokenRow.id == token_id, RefreshTokenRow.spent_at.is_(None))
            .values(spent_at=at)
        )
        return count == 1

    async def _execute(self, statement: Any) -> int:
        result = await self._session.execute(statement.execution_options(synchronize_session=False))
        return cast("CursorResult[Any]", result).rowcount
