"""Erasure of a patient's file by destroying its data key (crypto-shredding).

One transaction destroys the key and marks the account erased: from its
commit on, nothing of the file reads (404), the account cannot sign in, its
name and email are replaced, its sessions end (refresh tokens revoked, access
tokens and sockets stop as for a deactivated account or an ended session)
and its assignments end, each doctor told. The patient erasing its own file
confirms with its password and, when two-factor is on, a TOTP or recovery
code. The account's sign-in secrets (TOTP secret, recovery codes, pending
reset links) are deleted with it: the row stays as a blanked tombstone for
the audit trail, and a credential of an account nobody can use any more is
only something to leak. The audit trail keeps its rows; the erasure is one
more.
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
from healthrecords.domain.ports.two_factor import TotpAlgorithm
from healthrecords.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from healthrecords.domain.services.second_factor import redeem_code
from healthrecords.domain.services.trail import Target, audit_alone, audit_event, deny, enforce
from healthrecords.domain.users import Role, User

log = logging.getLogger(__name__)

ERASED_NAME = "Erased patient"
# Not an argon2 hash: no password ever verifies against it.
UNUSABLE_PASSWORD = "!erased"
WRONG_PASSWORD = "The password is not correct."
WRONG_CODE = "The two-factor code is not correct or was used already."


def erased(user: User, at: datetime) -> User:
    return dataclasses.replace(
        user,
        email=f"erased-{user.id.hex}@erased.invalid",
        full_name=ERASED_NAME,
        is_active=False,
        password_hash=UNUSABLE_PASSWORD,
        two_factor=False,
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
        totp: TotpAlgorithm,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._queue = queue
        self._totp = totp

    async def erase(
        self, actor: Actor, patient_id: UUID, password: str | None, code: str | None = None
    ) -> None:
        """An admin, or the patient itself with its password (and its second
        factor's code when two-factor is on)."""
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
            # The code is spent in the erasing transaction: used once, or not at all.
            if (
                actor.role is Role.PATIENT
                and user.two_factor
                and not (code and await redeem_code(uow, self._totp, user.id, code, now))
            ):
                await audit_alone(uow, actor, target, Outcome.DENIED, now)
                raise Forbidden(WRONG_CODE)
            if not await uow.patient_keys.destroy(patient_id):
                await deny(uow, actor, Decision.HIDDEN, target, now)  # erased meanwhile
            await uow.users.update(erased(user, now))
            await uow.refresh_tokens.revoke_all_for_user(patient_id, now)
            await uow.totp.delete(patient_id)
            await uow.recovery_codes.delete_all(patient_id)
            await uow.password_resets.void_all(patient_id, now)
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
