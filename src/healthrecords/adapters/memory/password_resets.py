"""In-memory password resets, for domain unit tests."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from uuid import UUID

from healthrecords.domain.password_resets import PasswordReset


class MemoryPasswordResets:
    def __init__(self, rows: dict[UUID, Any]) -> None:
        self._rows: dict[UUID, PasswordReset] = rows

    async def add(self, reset: PasswordReset) -> bool:
        slot = (reset.user_id, reset.hour, reset.slot)
        if any((r.user_id, r.hour, r.slot) == slot for r in self._rows.values()):
            return False
        self._rows[reset.id] = reset
        return True

    async def get_by_hash(self, token_hash: str) -> PasswordReset | None:
        return next((r for r in self._rows.values() if r.token_hash == token_hash), None)

    async def count_in_hour(self, user_id: UUID, hour: int) -> int:
        return sum(r.user_id == user_id and r.hour == hour for r in self._rows.values())

    async def use(self, reset_id: UUID, at: datetime) -> bool:
        found = self._rows.get(reset_id)
        if found is None or found.used_at is not None or found.expires_at <= at:
            return False
        self._rows[reset_id] = dataclasses.replace(found, used_at=at)
        return True

    async def void_all(self, user_id: UUID, at: datetime) -> None:
        for reset in list(self._rows.values()):
            if reset.user_id == user_id and reset.used_at is None:
                self._rows[reset.id] = dataclasses.replace(reset, used_at=at)
