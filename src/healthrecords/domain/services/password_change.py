"""A signed-in user changes its password; every other session ends."""

from __future__ import annotations

import dataclasses
import logging

from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.emails import local_part
from healthrecords.domain.errors import AuthenticationFailed, FieldError, InvalidInput
from healthrecords.domain.mail import SecurityNotice, notice_mail
from healthrecords.domain.passwords import PasswordPolicy
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.login_attempts import LoginAttemptLimiter
from healthrecords.domain.ports.mail import MailQueue
from healthrecords.domain.ports.security import PasswordHasher
from healthrecords.domain.ports.unit_of_work import UnitOfWorkFactory
from healthrecords.domain.services.guesses import guess
from healthrecords.domain.services.trail import Target, audit_event

log = logging.getLogger(__name__)

INACTIVE = "The access token is missing, invalid or expired."
WRONG_CURRENT = "The current password is incorrect."


class PasswordChangeService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Clock,
        policy: PasswordPolicy,
        attempts: LoginAttemptLimiter,
        mail: MailQueue,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._policy = policy
        self._attempts = attempts
        self._mail = mail

    async def change(self, actor: Actor, current_password: str, new_password: str) -> None:
        async with self._uow() as uow:
            user = await uow.users.get(actor.id)
        if user is None or not user.is_active:
            raise AuthenticationFailed(INACTIVE)
        target = Target(action="auth.password.change", type="user", id=user.id)

        async def right() -> bool:
            return await self._hasher.verify(user.password_hash, current_password)

        async def locked() -> None:
            await self._audit_alone(actor, target, Outcome.DENIED)

        if not await guess(self._attempts, user.email, actor.context.client_address, right, locked):
            await self._audit_alone(actor, target, Outcome.DENIED)
            raise InvalidInput(WRONG_CURRENT, [FieldError("current_password", "is incorrect")])
        problem = self._policy.problem(new_password, local_part(user.email))
        if problem is not None:
            raise InvalidInput(
                "The new password is not acceptable.", [FieldError("new_password", problem)]
            )
        new_hash = await self._hasher.hash(new_password)
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.users.update(
                dataclasses.replace(user, password_hash=new_hash, updated_at=now)
            )
            # The caller's own session goes on; every other one ends.
            await uow.refresh_tokens.revoke_all_for_user(user.id, now, keep=actor.session_id)
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        await self._mail.enqueue(notice_mail(user.email, SecurityNotice.PASSWORD_CHANGED))
        log.info("password changed", extra={"user_id": str(user.id)})

    async def _audit_alone(self, actor: Actor, target: Target, outcome: Outcome) -> None:
        async with self._uow() as uow:
            await uow.audit.add(audit_event(actor, target, outcome, self._clock.now()))
            await uow.commit()
