from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from healthrecords.domain.password_resets import PasswordReset


class PasswordResets(Protocol):
    async def add(self, reset: PasswordReset) -> bool:
        """Store it unless its (user, hour, slot) is taken (by a concurrent
        request); False then, and nothing is stored."""
        ...

    async def get_by_hash(self, token_hash: str) -> PasswordReset | None: ...

    async def count_in_hour(self, user_id: UUID, hour: int) -> int:
        """Resets requested for the user in this clock hour (the per-account limit)."""
        ...

    async def use(self, reset_id: UUID, at: datetime) -> bool:
        """Spend an unused, unexpired reset; True only for the one caller that did."""
        ...

    async def void_all(self, user_id: UUID, at: datetime) -> None:
        """Spend every outstanding reset of the user (the password changed)."""
        ...
