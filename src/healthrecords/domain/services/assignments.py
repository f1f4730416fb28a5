"""Use cases on assignments: a doctor's access to one patient's file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.assignments import Assignment
from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import Conflict, FieldError, InvalidInput
from healthrecords.domain.idempotency import Answer, Once
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.pagination import DEFAULT_LIMIT, Cursor, Page, check_limit
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.notifications import NotificationQueue
from healthrecords.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from healthrecords.domain.services import idempotent, replays
from healthrecords.domain.services.trail import Target, audit_event, enforce
from healthrecords.domain.users import Role


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignedPatient:
    id: UUID
    full_name: str
    assignment_id: UUID
    assigned_at: datetime


@dataclass(frozen=True, slots=True)
class Assigned:
    assignment: Assignment
    created: bool
    doctor_verified: bool = False


@dataclass(frozen=True, slots=True)
class AssignmentView:
    """An assignment as its parties see it: with whether an admin verified the doctor."""

    assignment: Assignment
    doctor_verified: bool


def _told_patient(assignment: Assignment, by: UUID) -> dict[str, str]:
    """What a patient is told when someone else changes who may read its file."""
    return {
        "assignment_id": str(assignment.id),
        "doctor_id": str(assignment.doctor_id),
        "by": str(by),
    }


class AssignmentService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, queue: NotificationQueue) -> None:
        self._uow = uow
        self._clock = clock
        self._queue = queue

    async def assign(
        self,
        actor: Actor,
        doctor_id: UUID,
        patient_id: UUID | None = None,
        once: Once[Assigned] | None = None,
    ) -> Assigned | Answer:
        """Idempotent: assigning an already assigned doctor returns the active row.

        With `once`, a retry gets the first answer (even after a revoke)."""
        patient_id = patient_id if patient_id is not None else actor.id
        now = self._clock.now()
        target = Target(action="assignment.create", type="assignment", patient_id=patient_id)
        async with self._uow() as uow:
            if replayed := await idempotent.replay(
                uow, actor, once, replays.assignment_audited, now
            ):
                return replayed
            await enforce(uow, actor, policy.create_assignment(actor, patient_id), target, now)
            verified = await self._check_parties(uow, actor, doctor_id, patient_id)
            existing = await uow.assignments.get_active(doctor_id, patient_id)
            if existing is not None:
                return await self._repeat(uow, actor, target, existing, now, verified, once)
            assignment = Assignment(
                id=uuid4(),
                doctor_id=doctor_id,
                patient_id=patient_id,
                assigned_by=actor.id,
                created_at=now,
            )
            try:
                await uow.assignments.add(assignment)
            except Conflict:
                # A concurrent request created it first: same answer as a repeat.
                await uow.rollback()
                raced = await uow.assignments.get_active(doctor_id, patient_id)
                if raced is None:
                    raise
                return await self._repeat(uow, actor, target, raced, now, verified, once)
            note = await uow.notifications.add(
                doctor_id,
                NotificationKind.ASSIGNMENT_CREATED,
                {"assignment_id": str(assignment.id), "patient_id": str(patient_id)},
                now,
            )
            notes = [note.id]
            if actor.id != patient_id:
                # Someone else opened the file (an admin): the patient must know at once.
                kind = NotificationKind.ASSIGNMENT_CREATED
                told = await uow.notifications.add(
                    patient_id, kind, _told_patient(assignment, actor.id), now
                )
                notes.append(told.id)
            target = Target(
                action=target.action, type=target.type, id=assignment.id, patient_id=patient_id
            )
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            made = Assigned(assignment, created=True, doctor_verified=verified)
            if not await idempotent.remember(uow, actor, once, made, assignment.id, now):
                assert once is not None
                return await idempotent.replay_raced(
                    uow, actor, once, replays.assignment_audited, now
                )
            await uow.commit()
        await self._queue.enqueue(notes)
        return made

    @staticmethod
    async def _repeat(
        uow: UnitOfWork,
        actor: Actor,
        target: Target,
        existing: Assignment,
        at: datetime,
        verified: bool,
        once: Once[Assigned] | None,
    ) -> Assigned | Answer:
        target = Target(
            action=target.action, type=target.type, id=existing.id, patient_id=existing.patient_id
        )
        await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, at))
        made = Assigned(existing, created=False, doctor_verified=verified)
        if not await idempotent.remember(uow, actor, once, made, existing.id, at):
            assert once is not None
            return await idempotent.replay_raced(uow, actor, once, replays.assignment_audited, at)
        await uow.commit()
        return made

    async def _check_parties(
        self, uow: UnitOfWork, actor: Actor, doctor_id: UUID, patient_id: UUID
    ) -> bool:
        """Raise unless both parties are valid; whether the doctor is verified."""
        errors: list[FieldError] = []
        doctor = await uow.users.get(doctor_id)
        if doctor is None or doctor.role is not Role.DOCTOR or not doctor.is_active:
            errors.append(FieldError("doctor_id", "is not an active doctor"))
        if actor.role is Role.ADMIN:
            patient = await uow.users.get(patient_id)
            if patient is None or patient.role is not Role.PATIENT:
                errors.append(FieldError("patient_id", "is not a patient"))
        if errors:
            raise InvalidInput("The assignment is not valid.", errors)
        return doctor is not None and doctor.verified

    async def list(
        self,
        actor: Actor,
        include_revoked: bool = False,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[AssignmentView]:
        """Newest first, keyset pages; each with whether its doctor is verified."""
        check_limit(limit)
        after = Cursor.decode(cursor) if cursor else None
        doctor_id, patient_id = policy.assignment_scope(actor)
        now = self._clock.now()
        async with self._uow() as uow:
            found = list(
                await uow.assignments.list_page(
                    doctor_id=doctor_id,
                    patient_id=patient_id,
                    active_only=not include_revoked,
                    limit=limit + 1,
                    after=after,
                )
            )
            verified: dict[UUID, bool] = {}
            for a in found[:limit]:
                if a.doctor_id not in verified:
                    doctor = await uow.users.get(a.doctor_id)
                    verified[a.doctor_id] = doctor is not None and doctor.verified
            target = Target(action="assignment.list", type="assignment", patient_id=patient_id)
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        items = [AssignmentView(a, verified[a.doctor_id]) for a in found[:limit]]
        more = len(found) > limit
        last = items[-1].assignment if items else None
        next_cursor = Cursor(last.created_at, last.id).encode() if more and last else None
        return Page(items, next_cursor)

    async def revoke(self, actor: Actor, assignment_id: UUID) -> None:
        """Idempotent: revoking a revoked assignment changes nothing."""
        now = self._clock.now()
        async with self._uow() as uow:
            assignment = await uow.assignments.get(assignment_id)
            target = Target(
                action="assignment.revoke",
                type="assignment",
                id=assignment_id,
                patient_id=assignment.patient_id if assignment else None,
            )
            await enforce(uow, actor, policy.revoke_assignment(actor, assignment), target, now)
            assert assignment is not None
            if not await uow.assignments.revoke(assignment_id, now, actor.id):
                return
            note = await uow.notifications.add(
                assignment.doctor_id,
                NotificationKind.ASSIGNMENT_REVOKED,
                {"assignment_id": str(assignment.id), "patient_id": str(assignment.patient_id)},
                now,
            )
            notes = [note.id]
            if actor.id != assignment.patient_id:
                kind = NotificationKind.ASSIGNMENT_REVOKED
                told = await uow.notifications.add(
                    assignment.patient_id, kind, _told_patient(assignment, actor.id), now
                )
                notes.append(told.id)
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        await self._queue.enqueue(notes)

    async def my_patients(self, actor: Actor) -> Sequence[AssignedPatient]:
        now = self._clock.now()
        target = Target(action="patient.list", type="assignment")
        async with self._uow() as uow:
            await enforce(uow, actor, policy.list_my_patients(actor), target, now)
            patients: list[AssignedPatient] = []
            for a in await uow.assignments.list(doctor_id=actor.id):
                user = await uow.users.get(a.patient_id)
                if user is not None:
                    patients.append(
                        AssignedPatient(
                            id=user.id,
                            full_name=user.full_name,
                            assignment_id=a.id,
                            assigned_at=a.created_at,
                        )
                    )
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        return patients
