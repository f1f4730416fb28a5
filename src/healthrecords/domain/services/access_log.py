"""A patient's own access log: who read or changed their file, and when.

Read from the audit trail (events whose patient is the caller), newest
first, keyset-paginated. Only patients have one; the read itself is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.pagination import Cursor, Page, check_limit
from healthrecords.domain.policy import Decision
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.unit_of_work import UnitOfWorkFactory
from healthrecords.domain.services.trail import Target, audit_event, enforce


@dataclass(frozen=True, slots=True, kw_only=True)
class Access:
    """One entry: no request ids or client addresses (those are staff data)."""

    id: UUID
    occurred_at: datetime
    actor_id: UUID | None
    actor_role: str | None
    actor_name: str | None
    action: str
    target_type: str
    target_id: UUID | None
    outcome: Outcome


class AccessLogService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def for_patient(self, actor: Actor, limit: int, cursor: str | None) -> Page[Access]:
        check_limit(limit)
        after = Cursor.decode(cursor) if cursor else None
        now = self._clock.now()
        decision = policy.read_access_log(actor)
        is_patient = decision is Decision.ALLOW
        # A refused caller has no file: its attempt is audited under no patient.
        target = Target(
            action="access_log.read",
            type="access_log",
            patient_id=actor.id if is_patient else None,
        )
        async with self._uow() as uow:
            await enforce(uow, actor, decision, target, now)
            found = list(await uow.audit.list(patient_id=actor.id, limit=limit + 1, after=after))
            names: dict[UUID, str | None] = {}
            for event in found[:limit]:
                if event.actor_id is not None and event.actor_id not in names:
                    user = await uow.users.get(event.actor_id)
                    names[event.actor_id] = user.full_name if user else None
            # Written after reading, so a page never shows its own read.
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        items = [
            Access(
                id=e.id,
                occurred_at=e.occurred_at,
                actor_id=e.actor_id,
                actor_role=e.actor_role,
                actor_name=names.get(e.actor_id) if e.actor_id else None,
                action=e.action,
                target_type=e.target_type,
                target_id=e.target_id,
                outcome=e.outcome,
            )
            for e in found[:limit]
        ]
        more = len(found) > limit
        return Page(items, Cursor(items[-1].occurred_at, items[-1].id).encode() if more else None)
