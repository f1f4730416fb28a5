"""A patient's own access log: who read or changed their file, and when.

Read from the audit trail (events whose patient is the caller), newest
first, keyset-paginated, optionally of one outcome; refused runs are collapsed
(access_entries.py). Only patients have one; the read itself is audited.
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
from healthrecords.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from healthrecords.domain.services.access_entries import SCAN_LIMIT, Collapser
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
    # Refused attempts of one actor in a row are one entry: how many, and the
    # latest (occurred_at is the first). 1 and occurred_at for everything else.
    count: int
    last_occurred_at: datetime
    # Under an emergency access (break-glass): the reason the doctor gave.
    reason: str | None = None


EMERGENCY = "emergency_access"


class AccessLogService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def for_patient(
        self, actor: Actor, limit: int, cursor: str | None, outcome: Outcome | None = None
    ) -> Page[Access]:
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
            page, more = await self._collapsed(uow, actor.id, outcome, limit, after)
            names: dict[UUID, str | None] = {}
            for entry in page.entries:
                who = entry.newest.actor_id
                if who is not None and who not in names:
                    user = await uow.users.get(who)
                    names[who] = user.full_name if user else None
            reasons: dict[UUID, str] = {}
            for entry in page.entries:
                grant_id = entry.newest.target_id
                if entry.newest.target_type == EMERGENCY and grant_id and grant_id not in reasons:
                    grant = await uow.emergency_access.get(grant_id)
                    if grant is not None:
                        reasons[grant_id] = grant.reason
            # Written after reading, so a page never shows its own read.
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        items = [
            Access(
                id=e.newest.id,
                occurred_at=e.first_at,
                actor_id=e.newest.actor_id,
                actor_role=e.newest.actor_role,
                actor_name=names.get(e.newest.actor_id) if e.newest.actor_id else None,
                action=e.newest.action,
                target_type=e.newest.target_type,
                target_id=e.newest.target_id,
                outcome=e.newest.outcome,
                count=e.count,
                last_occurred_at=e.newest.occurred_at,
                reason=reasons.get(e.newest.target_id) if e.newest.target_id else None,
            )
            for e in page.entries
        ]
        last = page.last_consumed
        return Page(items, Cursor(last.occurred_at, last.id).encode() if more and last else None)

    @staticmethod
    async def _collapsed(
        uow: UnitOfWork, patient_id: UUID, outcome: Outcome | None, limit: int, after: Cursor | None
    ) -> tuple[Collapser, bool]:
        """Read in chunks until the page is full, the log ends or SCAN_LIMIT; and more?"""
        page = Collapser(limit)
        scanned, size = 0, limit + 1  # enough when nothing collapses
        while scanned < SCAN_LIMIT:
            chunk = await uow.audit.list(
                patient_id=patient_id, outcome=outcome, limit=size, after=after
            )
            for event in chunk:
                if not page.feed(event):
                    return page, True
            scanned += len(chunk)
            if len(chunk) < size:
                return page, False
            after = Cursor(chunk[-1].occurred_at, chunk[-1].id)
            size = 200
        return page, True
