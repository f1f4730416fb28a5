from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol
from uuid import UUID

from healthrecords.domain.pagination import Cursor
from healthrecords.domain.users import Role, User


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Store a new user; raises Conflict when the email is taken."""
        ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None: ...

    async def update(self, user: User) -> None: ...

    async def active_roles(self, user_ids: Collection[UUID]) -> Mapping[UUID, Role]:
        """The role of each of `user_ids` whose account is active; the others are absent."""
        ...

    async def list(self, role: Role | None = None) -> Sequence[User]: ...

    async def list_page(
        self,
        *,
        role: Role | None = None,
        active_only: bool = False,
        limit: int,
        after: Cursor | None = None,
    ) -> Sequence[User]:
        """Oldest first by (created_at, id), strictly after the cursor."""
        ...
