from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast
from uuid import UUID

from sqlalchemy import Table, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.sqlalchemy.keyset import after_key
from healthrecords.adapters.sqlalchemy.models import AuditEventRow
from healthrecords.domain.audit import AuditEvent, Outcome
from healthrecords.domain.pagination import Cursor

# Built once: the values travel as parameters, so nothing is coerced or
# compiled per request (the compiled form is cached).
INSERT_EVENT = insert(cast(Table, AuditEventRow.__table__))


def _to_event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        occurred_at=row.occurred_at,
        actor_id=row.actor_id,
        actor_role=row.actor_role,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        patient_id=row.patient_id,
        outcome=Outcome(row.outcome),
        request_id=row.request_id,
        client_address=row.client_address,
    )


def row_values(event: AuditEvent) -> dict[str, object]:
    return {
        "id": event.id,
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "patient_id": event.patient_id,
        "outcome": event.outcome.value,
        "request_id": event.request_id[:64],
        "client_address": (event.client_address or None) and event.client_address[:64],
    }


class SqlAuditLog:
    """Insert and select only: no code path updates or deletes a trail row."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, event: AuditEvent) -> None:
        # A Core insert: the row is never read back in this session, so the
        # ORM's flush (identity map, dependency sort, state events) is pure
        # overhead. Every other repository flushes its own adds, so nothing
        # pending relies on this call to reach the database.
        await self._session.execute(INSERT_EVENT, row_values(event))

    async def add_many(self, events: Sequence[AuditEvent]) -> None:
        # A list of parameter sets: SQLAlchemy sends one multi-row INSERT.
        if events:
            await self._session.execute(INSERT_EVENT, [row_values(e) for e in events])

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
        # Each filter has an index ending in (occurred_at, id): a range scan.
        query = select(AuditEventRow)
        if patient_id is not None:
            query = query.where(AuditEventRow.patient_id == patient_id)
        if actor_id is not None:
            query = query.where(AuditEventRow.actor_id == actor_id)
        if since is not None:
            query = query.where(AuditEventRow.occurred_at >= since)
        if until is not None:
            query = query.where(AuditEventRow.occurred_at < until)
        if outcome is not None:
            query = query.where(AuditEventRow.outcome == outcome.value)
        if after is not None:
            query = query.where(
                tuple_(AuditEventRow.occurred_at, AuditEventRow.id)
                < after_key(after, AuditEventRow.occurred_at, AuditEventRow.id)
            )
        query = query.order_by(AuditEventRow.occurred_at.desc(), AuditEventRow.id.desc())
        return [_to_event(r) for r in await self._session.scalars(query.limit(limit))]
