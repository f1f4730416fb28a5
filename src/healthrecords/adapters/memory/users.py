from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from uuid import UUID

from healthrecords.domain.errors import Conflict
from healthrecords.domain.pagination import Cursor
from healthrecords.domain.users import Role, User


class MemoryUserRepository:
    def __init__(self, rows: dict[UUID, Any]) -> None:
        self._rows: dict[UUID, User] = rows

    async def add(self, user: User) -> None:
        if any(u.email == user.email for u in self._rows.values()):
            raise Conflict("An account with this email already exists.")
        self._rows[user.id] = user

    async def get(self, user_id: UUID) -> User | None:
        return self._rows.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        return next((u for u in self._rows.values() if u.email == email), None)

    async def update(self, user: User) -> None:
        if user.id in self._rows:
            self._rows[user.id] = user

    async def active_roles(self, user_ids: Collection[UUID]) -> Mapping[UUID, Role]:
        found = (self._rows.get(user_id) for user_id in user_ids)
        return {u.id: u.role for u in found if u is not None and u.is_active}

    async def list(self, role: Role | None = None) -> Sequence[User]:
        users = sorted(self._rows.values(), key=lambda u: (u.created_at, u.id))
        return [u for u in users if role is None or u.role == role]

    async def list_page(
        self,
        *,
        role: Role | None = None,
        active_only: bool = False,
        limit: int,
        after: Cursor | None = None,
    ) -> Sequence[User]:
        found = [
            u
            for u in await self.list(role)
            if (not active_only or u.is_active)
            and (after is None or (u.created_at, u.id) > (after.at, after.id))
        ]
        return found[:limit]
