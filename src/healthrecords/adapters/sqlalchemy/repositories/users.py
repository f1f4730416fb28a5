from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from uuid import UUID

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.sqlalchemy.models import UserRow
from healthrecords.domain.errors import Conflict
from healthrecords.domain.pagination import Cursor
from healthrecords.domain.users import Role, User

# Bound parameters per IN list: far under asyncpg's 32,767 and SQLite's 32,766.
IDS_PER_STATEMENT = 5000


def _to_user(row: UserRow) -> User:
    return User(
        id=row.id,
        email=row.email,
        full_name=row.full_name,
        role=Role(row.role),
        is_active=row.is_active,
        password_hash=row.password_hash,
        created_at=row.created_at,
        updated_at=row.updated_at,
        verified=row.verified,
        two_factor=row.two_factor,
        erased_at=row.erased_at,
    )


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user: User) -> None:
        self._session.add(
            UserRow(
                id=user.id,
                email=user.email,
                full_name=user.full_name,
                role=user.role.value,
                is_active=user.is_active,
                password_hash=user.password_hash,
                verified=user.verified,
                two_factor=user.two_factor,
                notification_seq=0,
                created_at=user.created_at,
                updated_at=user.updated_at,
            )
        )
        try:
            await self._session.flush()
        except IntegrityError as exc:
            raise Conflict("An account with this email already exists.") from exc

    async def get(self, user_id: UUID) -> User | None:
        row = await self._session.get(UserRow, user_id)
        return _to_user(row) if row else None

    async def get_by_email(self, email: str) -> User | None:
        row = await self._session.scalar(select(UserRow).where(UserRow.email == email))
        return _to_user(row) if row else None

    async def update(self, user: User) -> None:
        row = await self._session.get(UserRow, user.id)
        if row is None:
            return
        row.full_name = user.full_name
        row.email = user.email
        row.erased_at = user.erased_at
        row.is_active = user.is_active
        row.verified = user.verified
        row.two_factor = user.two_factor
        row.password_hash = user.password_hash
        row.updated_at = user.updated_at
        await self._session.flush()

    async def active_roles(self, user_ids: Collection[UUID]) -> Mapping[UUID, Role]:
        ids = list(user_ids)
        roles: dict[UUID, Role] = {}
        for start in range(0, len(ids), IDS_PER_STATEMENT):
            chunk = ids[start : start + IDS_PER_STATEMENT]
            rows = await self._session.execute(
                select(UserRow.id, UserRow.role).where(
                    UserRow.id.in_(chunk), UserRow.is_active.is_(True)
                )
            )
            roles.update((user_id, Role(role)) for user_id, role in rows)
        return roles

    async def list(self, role: Role | None = None) -> Sequence[User]:
        query = select(UserRow).order_by(UserRow.created_at, UserRow.id)
        if role is not None:
            query = query.where(UserRow.role == role.value)
        return [_to_user(r) for r in await self._session.scalars(query)]

    async def list_page(
        self,
        *,
        role: Role | None = None,
        active_only: bool = False,
        limit: int,
        after: Cursor | None = None,
    ) -> Sequence[User]:
        query = select(UserRow).order_by(UserRow.created_at, UserRow.id).limit(limit)
        if role is not None:
            query = query.where(UserRow.role == role.value)
        if active_only:
            query = query.where(UserRow.is_active.is_(True))
        if after is not None:
            query = query.where(tuple_(UserRow.created_at, UserRow.id) > (after.at, after.id))
        return [_to_user(r) for r in await self._session.scalars(query)]
