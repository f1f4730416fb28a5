"""Refresh tokens and their families (sessions); only SHA-256 hashes of tokens are stored."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.sqlalchemy.keyset import after_key
from healthrecords.adapters.sqlalchemy.models import RefreshTokenFamilyRow, RefreshTokenRow
from healthrecords.adapters.sqlalchemy.repositories.rowcount import rowcount
from healthrecords.adapters.sqlalchemy.repositories.users import IDS_PER_STATEMENT
from healthrecords.domain.pagination import Cursor
from healthrecords.domain.tokens import RefreshToken, RefreshTokenFamily

Family = RefreshTokenFamilyRow


def _to_family(row: RefreshTokenFamilyRow) -> RefreshTokenFamily:
    return RefreshTokenFamily(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        client_address=row.client_address,
        user_agent=row.user_agent,
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
            Family(
                id=family.id,
                user_id=family.user_id,
                created_at=family.created_at,
                revoked_at=family.revoked_at,
                last_used_at=family.last_used_at,
                client_address=family.client_address,
                user_agent=family.user_agent,
            )
        )
        await self._session.flush()

    async def get_family(self, family_id: UUID) -> RefreshTokenFamily | None:
        row = await self._session.scalar(select(Family).where(Family.id == family_id))
        return _to_family(row) if row else None

    async def live_sessions(self, family_ids: Collection[UUID]) -> Mapping[UUID, UUID]:
        ids = list(family_ids)
        owners: dict[UUID, UUID] = {}
        for start in range(0, len(ids), IDS_PER_STATEMENT):
            rows = await self._session.execute(
                select(Family.id, Family.user_id).where(
                    Family.id.in_(ids[start : start + IDS_PER_STATEMENT]),
                    Family.revoked_at.is_(None),
                )
            )
            owners.update((family_id, user_id) for family_id, user_id in rows)
        return owners

    async def touch_family(self, family_id: UUID, at: datetime) -> None:
        await rowcount(
            self._session, update(Family).where(Family.id == family_id).values(last_used_at=at)
        )

    async def revoke_family(self, family_id: UUID, at: datetime) -> bool:
        count = await rowcount(
            self._session,
            update(Family)
            .where(Family.id == family_id, Family.revoked_at.is_(None))
            .values(revoked_at=at),
        )
        return count == 1

    async def revoke_all_for_user(
        self, user_id: UUID, at: datetime, keep: UUID | None = None
    ) -> None:
        statement = update(Family).where(Family.user_id == user_id, Family.revoked_at.is_(None))
        if keep is not None:
            statement = statement.where(Family.id != keep)
        await rowcount(self._session, statement.values(revoked_at=at))

    async def list_live_families(
        self, user_id: UUID, used_since: datetime, limit: int, after: Cursor | None
    ) -> Sequence[RefreshTokenFamily]:
        query = (
            select(Family)
            .where(
                Family.user_id == user_id,
                Family.revoked_at.is_(None),
                func.coalesce(Family.last_used_at, Family.created_at) > used_since,
            )
            .order_by(Family.created_at.desc(), Family.id.desc())
            .limit(limit)
        )
        if after is not None:
            key = after_key(after, Family.created_at, Family.id)
            query = query.where(tuple_(Family.created_at, Family.id) < key)
        return [_to_family(r) for r in await self._session.scalars(query)]

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
        count = await rowcount(
            self._session,
            update(RefreshTokenRow)
            .where(RefreshTokenRow.id == token_id, RefreshTokenRow.spent_at.is_(None))
            .values(spent_at=at),
        )
        return count == 1
