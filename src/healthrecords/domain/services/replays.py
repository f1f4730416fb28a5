"""What a replayed answer re-checks before it is handed back, per creating write.

A stored answer may hold health data and access can end within its 24 hours
(a record deleted, an assignment revoked), so a replay is answered only if the
caller may still read what it shows; each replay is audited.
"""

from __future__ import annotations

from datetime import datetime

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.idempotency import KeyedAnswer
from healthrecords.domain.ports.unit_of_work import UnitOfWork
from healthrecords.domain.services.idempotent import Recheck, replay_target
from healthrecords.domain.services.trail import Target, enforce


def record_readable(actor: Actor, now: datetime) -> Recheck:
    """The stored answer shows the created record."""

    async def recheck(uow: UnitOfWork, stored: KeyedAnswer) -> Target:
        record = await uow.records.get(stored.subject_id) if stored.subject_id else None
        patient_id = record.patient_id if record else None
        target = replay_target("record.create", "record", stored, patient_id)
        await enforce(
            uow, actor, await policy.read_record(actor, record, uow.assignments), target, now
        )
        return target

    return recheck


def annotations_readable(actor: Actor, now: datetime) -> Recheck:
    """The stored answer shows an annotation; its subject is the annotated record."""

    async def recheck(uow: UnitOfWork, stored: KeyedAnswer) -> Target:
        record = await uow.records.get(stored.subject_id) if stored.subject_id else None
        patient_id = record.patient_id if record else None
        target = replay_target("annotation.create", "record", stored, patient_id)
        decision = await policy.read_annotations(actor, record, uow.assignments)
        await enforce(uow, actor, decision, target, now)
        return target

    return recheck


async def assignment_audited(uow: UnitOfWork, stored: KeyedAnswer) -> Target:
    """An assignment answer holds ids only, no health data: nothing to re-check."""
    found = await uow.assignments.get(stored.subject_id) if stored.subject_id else None
    patient_id = found.patient_id if found else None
    return replay_target("assignment.create", "assignment", stored, patient_id)
