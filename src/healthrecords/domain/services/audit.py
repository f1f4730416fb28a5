"""Reading the audit trail (admins only). The trail itself is append-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import AuditEvent, Outcome
from healthrecords.domain.errors import FieldError, InvalidInput
from healthrecords.domain.instants import instant_problem
from healthrecords.domain.pagination import Cursor, Page, check_limit
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.unit_of_work import UnitOfWorkFactory
from healthrecords.domain.services.trail import Target, audit_event, enforce


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQuery:
    patient_id: UUID | None = None
    actor_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 20
    cursor: str | None = None


class AuditService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def list(self, actor: Actor, query: AuditQuery) -> Page[AuditEvent]:
        check_limit(query.limit)
        bounds = (("since", query.since), ("until", query.until))
        found_problems = [
            FieldError(name, problem)
            for name, value in bounds
            if value is not None and (problem := instant_problem(value)) is not None
        ]
        if found_problems:
            raise InvalidInput("The time bounds are not valid.", found_problems)
        after = Cursor.decode(query.cursor) if query.cursor else None
        now = self._clock.now()
        async with self._uow() as uow:
            target = Target(action="audit.list", type="audit", patient_id=query.patient_id)
            await enforce(uow, actor, policy.read_audit(actor), target, now)
            found = list(
                await uow.audit.list(
                    patient_id=query.patient_id,
                    actor_id=query.actor_id,
                    since=query.since,
                    until=query.until,
                    limit=query.limit + 1,
                    after=after,
                )
            )
            # Written after reading, so a page never shows its own read.
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        items = found[: query.limit]
        more = len(found) > query.limit
        return Page(items, Cursor(items[-1].occurred_at, items[-1].id).encode() if more else None)
