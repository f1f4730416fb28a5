from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from healthrecords.domain.errors import Conflict
from healthrecords.domain.idempotency import KeyedAnswer

_SCOPE = UUID("6d8f1c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f")


def _row_id(user_id: UUID, scope: str, key_digest: str) -> UUID:
    # The table is keyed by UUID like the others: one id per (user, route, key).
    return uuid5(_SCOPE, f"{user_id}|{scope}|{key_digest}")


class MemoryIdempotencyKeys:
    def __init__(self, rows: dict[UUID, Any]) -> None:
        self._rows: dict[UUID, KeyedAnswer] = rows

    async def find(
        self, user_id: UUID, scope: str, key_digest: str, now: datetime
    ) -> KeyedAnswer | None:
        found = self._rows.get(_row_id(user_id, scope, key_digest))
        return found if found is not None and found.expires_at > now else None

    async def add(self, keyed: KeyedAnswer) -> None:
        row_id = _row_id(keyed.user_id, keyed.scope, keyed.key_digest)
        held = self._rows.get(row_id)
        if held is not None and held.expires_at > keyed.created_at:
            raise Conflict("This Idempotency-Key is already stored.")
        self._rows[row_id] = keyed

    async def purge(self, now: datetime, limit: int) -> int:
        expired = [k for k, v in self._rows.items() if v.expires_at <= now][:limit]
        for row_id in expired:
            del self._rows[row_id]
        return len(expired)
