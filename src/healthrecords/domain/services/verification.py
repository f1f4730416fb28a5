"""An admin marks a doctor account as checked (`verified`), so patients can tell.

Unverified doctors work as before; the flag only informs the patient, who sees
it in the doctors directory and on each of its assignments before granting or
keeping access. Every change is audited (`user.verify` / `user.unverify`).
"""

from __future__ import annotations

import dataclasses
from uuid import UUID

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import FieldError, Forbidden, InvalidInput, NotFound
from healthrecords.domain.policy import Decision
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.unit_of_work import UnitOfWorkFactory
from healthrecords.domain.services.trail import Target, audit_event
from healthrecords.domain.users import Role, User

ADMINS_ONLY = "Only administrators may do this."


class VerificationService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def set_verified(self, actor: Actor, user_id: UUID, verified: bool) -> User:
        now = self._clock.now()
        target = Target(
            action="user.verify" if verified else "user.unverify", type="user", id=user_id
        )
        async with self._uow() as uow:
            if policy.verify_doctor(actor) is not Decision.ALLOW:
                await uow.audit.add(audit_event(actor, target, Outcome.DENIED, now))
                await uow.commit()
                raise Forbidden(ADMINS_ONLY)
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("No such user.")
            if user.role is not Role.DOCTOR:
                raise InvalidInput(
                    "Only doctor accounts are verified.",
                    [FieldError("verified", "only doctor accounts are verified")],
                )
            if user.verified != verified:
                user = dataclasses.replace(user, verified=verified, updated_at=now)
                await uow.users.update(user)
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        return user
