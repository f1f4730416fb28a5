"""Erasure of a patient's file by destroying its data key (crypto-shredding).

One transaction destroys the key and marks the account erased: from its
commit on, nothing of the file reads (404), the account cannot sign in, its
name and email are replaced, its sessions end (refresh tokens revoked, access
tokens and sockets stop as for a deactivated account) and its assignments
end, each doctor told. The audit trail keeps its rows; the erasure is one more.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from uuid import UUID

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import Forbidden
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.policy import Decision
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.notifications import NotificationQueue
from healthrecords.domain.ports.security import PasswordHasher
from healthrecords.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from healthrecords.domain.services.trail import Target, audit_alone, audit_event, deny, enforce
from healthrecords.domain.users import Role, User

log = logging.getLogger(__name__)

ERASED_NAME = "Erased patient"
# Not an argon2 hash: no password ever verifies against it.
UNUSABLE_PASSWORD = "!erased"
WRONG_PASSWORD = "The password is not correct."


def erased(user: User, at: datetime) -> User:
    return dataclasses.replace(
        user,
        email=f"erased-{user.id.hex}@erased.invalid",
        full_name=ERASED_NAME,
        is_active=False,
        password_hash=UNUSABLE_PASSWORD,
        updated_at=at,
        erased_at=at,
    )


class ErasureService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Clock,
        queue: NotificationQueue,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._queue = queue

    async def erase(self, actor: Actor, patient_id: UUID, password: str | None) -> None:
        """An admin, or the patient itself with its password."""
        now = self._clock.now()
        target = Target(
            action="patient.erase", type="patient", id=patient_id, patient_id=patient_id
        )
        async with self._uow() as uow:
            await enforce(uow, actor, policy.erase_file(actor, patient_id), target, now)
            user = await uow.users.get(patient_id)
            if user is None or user.role is not Role.PATIENT or user.erased_at is not None:
                await deny(uow, actor, Decision.HIDDEN, target, now)
            if actor.role is Role.PATIENT and not (
                password and await self._hasher.verify(user.password_hash, password)
            ):
                await audit_alone(uow, actor, target, Outcome.DENIED, now)
                raise Forbidden(WRONG_PASSWORD)
            if not await uow.patient_keys.destroy(patient_id):
                await deny(uow, actor, Decision.HIDDEN, target, now)  # erased meanwhile
            await uow.users.update(erased(user, now))
            await uow.refresh_tokens.revoke_all_for_user(patient_id, now)
            notes = await _end_assignments(uow, actor, patient_id, now)
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        log.info("patient file erased", extra={"patient_id": str(patient_id), "by": str(actor.id)})
        await self._queue.enqueue(notes)


async def _end_assignments(
    uow: UnitOfWork, actor: Actor, patient_id: UUID, now: datetime
) -> list[UUID]:
    notes: list[UUID] = []
    for assignment in await uow.assignments.list(patient_id=patient_id):
        if await uow.assignments.revoke(assignment.id, now, actor.id):
            note = await uow.notifications.add(
                assignment.doctor_id,
                NotificationKind.ASSIGNMENT_REVOKED,
                {"assignment_id": str(assignment.id), "patient_id": str(patient_id)},
                now,
            )
            notes.append(note.id)
    return notes
