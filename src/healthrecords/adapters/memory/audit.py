from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from healthrecords.domain.audit import AuditEvent, Outcome
from healthrecords.domain.pagination import Cursor


class MemoryAuditLog:
    def __init__(self, rows: dict[UUID, Any]) -> None:
        self._rows: dict[UUID, AuditEvent] = rows

    async def add(self, event: AuditEvent) -> None:
        self._rows[event.id] = event

    async def add_many(self, events: Sequence[AuditEvent]) -> None:
        for event in events:
            self._rows[event.id] = event

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
        found = [
            e
            for e in self._rows.values()
            if (patient_id is None or e.patient_id == patient_id)
            and (actor_id is None or e.actor_id == actor_id)
            and (since is None or e.occurred_at >= since)
            and (until is None or e.occurred_at < until)
            and (outcome is None or e.outcome == outcome)
            and (after is None or (e.occurred_at, e.id) < (after.at, after.id))
        ]
        found.sort(key=lambda e: (e.occurred_at, e.id), reverse=True)
        return found[:limit]
