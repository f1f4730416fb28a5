from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from healthrecords.domain.audit import AuditEvent, Outcome
from healthrecords.domain.pagination import Cursor


class AuditTrail(Protocol):
    """Appending to the trail; a write that returns has been committed, or is
    committed with the caller's unit of work."""

    async def add(self, event: AuditEvent) -> None: ...

    async def add_many(self, events: Sequence[AuditEvent]) -> None:
        """All of `events` in one write (one statement on a database)."""
        ...


class AuditLog(AuditTrail, Protocol):
    """Append-only: there is deliberately no update or delete."""

    async def list(
        self,
        *,
        patient_id: UUID | None = None,
        actor_id: UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        outcome: Outcome | None = None,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[AuditEvent]:
        """Newest first by (occurred_at, id), strictly after the cursor."""
        ...
