"""Break-glass: a doctor opens time-boxed, read-only access to a file; the patient is told.

Opening is limited per doctor to `daily_limit` in any 24 hours (counted under
a lock on the doctor's account, so a burst cannot pass it), notifies the
patient at once (`access.emergency`) and is audited; so is every read under
it, one event per read with its own outcome, in the patient's access log with
the reason. Admins list every grant; the doctor or an admin ends one early.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.emergency import REASON_MAX, REASON_MIN, EmergencyAccess
from healthrecords.domain.errors import FieldError, InvalidInput, TooManyAttempts
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.pagination import Cursor, Page, check_limit
from healthrecords.domain.policy import Decision
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.notifications import NotificationQueue
from healthrecords.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from healthrecords.domain.records import Record
from healthrecords.domain.services.trail import Target, audit_event, deny, enforce
from healthrecords.domain.users import Role

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class EmergencyRules:
    minutes: int = 60
    daily_limit: int = 3


def _grant_target(action: str, grant_id: UUID | None, patient_id: UUID | None) -> Target:
    return Target(action=action, type="emergency_access", id=grant_id, patient_id=patient_id)


class EmergencyAccessService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        queue: NotificationQueue,
        rules: EmergencyRules,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._queue = queue
        self._rules = rules

    async def open(self, actor: Actor, patient_id: UUID, reason: str) -> EmergencyAccess:
        reason = reason.strip()
        if not REASON_MIN <= len(reason) <= REASON_MAX:
            problem = f"must be {REASON_MIN} to {REASON_MAX} characters"
            raise InvalidInput("The reason is not valid.", [FieldError("reason", problem)])
        now = self._clock.now()
        target = _grant_target("emergency_access.open", None, patient_id)
        async with self._uow() as uow:
            await enforce(uow, actor, policy.open_emergency_access(actor), target, now)
            opened = await uow.emergency_access.opened_since(actor.id, now - DAY)
            if len(opened) >= self._rules.daily_limit:
                await uow.rollback()
                retry = math.ceil((opened[0] + DAY - now).total_seconds())
                raise TooManyAttempts(
                    f"At most {self._rules.daily_limit} emergency accesses in 24 hours.",
                    max(retry, 1),
                )
            patient = await uow.users.get(patient_id)
            if patient is None or patient.role is not Role.PATIENT or not patient.is_active:
                await deny(uow, actor, Decision.HIDDEN, target, now)
            grant = EmergencyAccess(
                id=uuid4(),
                doctor_id=actor.id,
                patient_id=patient_id,
                reason=reason,
                created_at=now,
                expires_at=now + timedelta(minutes=self._rules.minutes),
            )
            await uow.emergency_access.add(grant)
            note = await uow.notifications.add(
                patient_id,
                NotificationKind.ACCESS_EMERGENCY,
                {
                    "grant_id": str(grant.id),
                    "doctor_id": str(actor.id),
                    "expires_at": grant.expires_at.isoformat(),
                },
                now,
            )
            opened_target = _grant_target("emergency_access.open", grant.id, patient_id)
            await uow.audit.add(audit_event(actor, opened_target, Outcome.SUCCESS, now))
            await uow.commit()
        await self._queue.enqueue([note.id])
        return grant

    async def end(self, actor: Actor, grant_id: UUID) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            grant = await uow.emergency_access.get(grant_id)
            target = _grant_target(
                "emergency_access.end", grant_id, grant.patient_id if grant else None
            )
            await enforce(uow, actor, policy.end_emergency_access(actor, grant), target, now)
            if await uow.emergency_access.end(grant_id, now, actor.id):
                await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
                await uow.commit()

    async def list(self, actor: Actor, limit: int, cursor: str | None) -> Page[EmergencyAccess]:
        check_limit(limit)
        after = Cursor.decode(cursor) if cursor else None
        now = self._clock.now()
        target = _grant_target("emergency_access.list", None, None)
        async with self._uow() as uow:
            await enforce(uow, actor, policy.list_emergency_access(actor), target, now)
            found = list(await uow.emergency_access.list_page(limit + 1, after))
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        items = found[:limit]
        more = len(found) > limit
        last = items[-1] if more else None
        return Page(items, Cursor(last.created_at, last.id).encode() if last else None)

    async def records(
        self, actor: Actor, grant_id: UUID, limit: int, cursor: str | None
    ) -> Page[Record]:
        """The file's records, newest first, as the grant lasts."""
        check_limit(limit)
        after = Cursor.decode(cursor) if cursor else None
        async with self._uow() as uow:
            grant = await self._open_grant(uow, actor, grant_id, "emergency.record.list")
            found = list(await uow.records.list([grant.patient_id], None, limit + 1, after))
            await self._audit_read(uow, actor, grant, "emergency.record.list")
        items = found[:limit]
        more = len(found) > limit
        last = items[-1] if more else None
        return Page(items, Cursor(last.recorded_at, last.id).encode() if last else None)

    async def record(self, actor: Actor, grant_id: UUID, record_id: UUID) -> Record:
        async with self._uow() as uow:
            grant = await self._open_grant(uow, actor, grant_id, "emergency.record.read")
            record = await uow.records.get(record_id)
            if record is None or record.patient_id != grant.patient_id:
                target = Target(
                    action="emergency.record.read",
                    type="record",
                    id=record_id,
                    patient_id=grant.patient_id,
                )
                await deny(uow, actor, Decision.HIDDEN, target, self._clock.now())
            await self._audit_read(uow, actor, grant, "emergency.record.read")
        return record

    async def _open_grant(
        self, uow: UnitOfWork, actor: Actor, grant_id: UUID, action: str
    ) -> EmergencyAccess:
        now = self._clock.now()
        grant = await uow.emergency_access.get(grant_id)
        target = _grant_target(action, grant_id, grant.patient_id if grant else None)
        decision = policy.read_under_emergency_access(actor, grant, now)
        await enforce(uow, actor, decision, target, now)
        assert grant is not None
        return grant

    async def _audit_read(
        self, uow: UnitOfWork, actor: Actor, grant: EmergencyAccess, action: str
    ) -> None:
        # Data is returned only once its audit row is committed.
        target = _grant_target(action, grant.id, grant.patient_id)
        await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, self._clock.now()))
        await uow.commit()
