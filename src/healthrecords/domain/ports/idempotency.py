from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from healthrecords.domain.idempotency import KeyedAnswer


class IdempotencyKeys(Protocol):
    """First answers to Idempotency-Keys, stored in the write's own transaction."""

    async def find(
        self, user_id: UUID, scope: str, key_digest: str, now: datetime
    ) -> KeyedAnswer | None:
        """The unexpired answer stored for this user's key on this route."""
        ...

    async def add(self, keyed: KeyedAnswer) -> None:
        """Store it; raises Conflict when a concurrent request stored the same key."""
        ...

    async def purge(self, now: datetime, limit: int) -> int:
        """Delete up to `limit` expired keys; returns how many went."""
        ...
