from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from healthrecords.domain.password_resets import PasswordReset


class PasswordResets(Protocol):
    async def add(self, reset: PasswordReset) -> None: ...

    async def get_by_hash(self, token_hash: str) -> PasswordReset | None: ...

    async def count_since(self, user_id: UUID, since: datetime) -> int:
        """Resets requested for the user after `since` (the per-account limit)."""
        ...

    async def use(self, reset_id: UUID, at: datetime) -> bool:
        """Spend an unused, unexpired reset; True only for the one caller that did."""
        ...

    async def void_all(self, user_id: UUID, at: datetime) -> None:
        """Spend every outstanding reset of the user (the password changed)."""
        ...
