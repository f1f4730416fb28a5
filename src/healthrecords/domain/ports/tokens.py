from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from healthrecords.domain.tokens import RefreshToken, RefreshTokenFamily


class RefreshTokenRepository(Protocol):
    async def add_family(self, family: RefreshTokenFamily) -> None: ...

    async def get_family(self, family_id: UUID) -> RefreshTokenFamily | None: ...

    async def revoke_family(self, family_id: UUID, at: datetime) -> None: ...

    async def revoke_all_for_user(self, user_id: UUID, at: datetime) -> None: ...

    async def add(self, token: RefreshToken) -> None: ...

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None: ...

    async def spend(self, token_id: UUID, at: datetime) -> bool:
        """Mark the token spent; True only for the one caller that spent it."""
        ...
