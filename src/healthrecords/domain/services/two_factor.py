"""Turning two-factor sign-in (TOTP, RFC 6238) on and off.

Enrolment is pending until the first code confirms the user's app has the
secret; only then is two-factor on, and ten recovery codes (stored as
digests, each good once) are shown once. Turning it off takes the password
and a current code. Wrong passwords and codes count as login failures.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from uuid import uuid4

from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import AuthenticationFailed, Conflict, FieldError, InvalidInput
from healthrecords.domain.mail import SecurityNotice, notice_mail
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.login_attempts import LoginAttemptLimiter
from healthrecords.domain.ports.mail import MailQueue
from healthrecords.domain.ports.security import PasswordHasher
from healthrecords.domain.ports.two_factor import TotpAlgorithm
from healthrecords.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from healthrecords.domain.services.guesses import guess
from healthrecords.domain.services.second_factor import redeem_code
from healthrecords.domain.services.sign_in_trail import sign_in_event
from healthrecords.domain.services.token_issuer import token_digest
from healthrecords.domain.services.trail import Target, audit_event
from healthrecords.domain.two_factor import (
    RECOVERY_CODES,
    TotpCredential,
    new_recovery_code,
    normalise_recovery_code,
)
from healthrecords.domain.users import User

log = logging.getLogger(__name__)

INACTIVE = "The access token is missing, invalid or expired."
ALREADY_ON = "Two-factor sign-in is already on; turn it off first to enrol a new app."
NOT_PENDING = "There is no pending enrolment; start one with POST /api/auth/mfa/totp/."
NOT_ON = "Two-factor sign-in is not on."
WRONG_CODE = "The code is incorrect or was used already."
WRONG_PASSWORD_OR_CODE = "The password or the code is incorrect."


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    otpauth_uri: str


class TwoFactorService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        totp: TotpAlgorithm,
        hasher: PasswordHasher,
        attempts: LoginAttemptLimiter,
        issuer: str,
        mail: MailQueue,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._totp = totp
        self._hasher = hasher
        self._attempts = attempts
        self._issuer = issuer
        self._mail = mail

    async def enrol(self, actor: Actor) -> Enrolment:
        """A new pending secret; replaces an earlier pending one."""
        now = self._clock.now()
        secret = self._totp.new_secret()
        async with self._uow() as uow:
            user = await self._user(uow, actor)
            if user.two_factor:
                raise Conflict(ALREADY_ON)
            credential = TotpCredential(id=uuid4(), user_id=user.id, secret=secret, created_at=now)
            await uow.totp.put(credential)
            await self._audit(uow, actor, "auth.mfa.enrol", Outcome.SUCCESS)
            await uow.commit()
        return Enrolment(secret, self._totp.uri(secret, user.email, self._issuer))

    async def enrol_at_creation(self, user: User) -> tuple[Enrolment, list[str]]:
        """Two-factor on at once, for an account made at the command line
        (`create-admin --totp`), whose operator sees the secret and codes once."""
        now = self._clock.now()
        secret = self._totp.new_secret()
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
        async with self._uow() as uow:
            credential = TotpCredential(
                id=uuid4(), user_id=user.id, secret=secret, created_at=now, confirmed_at=now
            )
            await uow.totp.put(credential)
            hashes = [token_digest(normalise_recovery_code(c)) for c in codes]
            await uow.recovery_codes.replace(user.id, hashes, now)
            await uow.users.update(dataclasses.replace(user, two_factor=True, updated_at=now))
            await uow.audit.add(
                sign_in_event("auth.mfa.enable", Outcome.SUCCESS, None, now, target=user)
            )
            await uow.commit()
        await self._mail.enqueue(notice_mail(user.email, SecurityNotice.TWO_FACTOR_ON))
        return Enrolment(secret, self._totp.uri(secret, user.email, self._issuer)), codes

    async def confirm(self, actor: Actor, code: str) -> list[str]:
        """Turn two-factor on with the first code; returns the recovery codes."""
        async with self._uow() as uow:
            user = await self._user(uow, actor)
            credential = await uow.totp.get(user.id)
        if user.two_factor:
            raise Conflict(ALREADY_ON)
        if credential is None or credential.confirmed_at is not None:
            raise Conflict(NOT_PENDING)
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]

        async def right() -> bool:
            now = self._clock.now()
            async with self._uow() as uow:
                step = self._totp.matching_step(credential.secret, code.strip(), now)
                if step is None or not await uow.totp.accept_step(user.id, step):
                    return False
                if not await uow.totp.confirm(user.id, now):
                    return False
                hashes = [token_digest(normalise_recovery_code(c)) for c in codes]
                await uow.recovery_codes.replace(user.id, hashes, now)
                await uow.users.update(dataclasses.replace(user, two_factor=True, updated_at=now))
                await self._audit(uow, actor, "auth.mfa.enable", Outcome.SUCCESS)
                await uow.commit()
            return True

        if not await guess(self._attempts, user.email, actor.context.client_address, right):
            await self._audit_alone(actor, "auth.mfa.enable", Outcome.DENIED)
            raise InvalidInput(WRONG_CODE, [FieldError("code", "is incorrect or was used")])
        await self._mail.enqueue(notice_mail(user.email, SecurityNotice.TWO_FACTOR_ON))
        log.info("two-factor turned on", extra={"user_id": str(user.id)})
        return codes

    async def disable(self, actor: Actor, password: str, code: str) -> None:
        async with self._uow() as uow:
            user = await self._user(uow, actor)
        if not user.two_factor:
            raise Conflict(NOT_ON)

        async def right() -> bool:
            if not await self._hasher.verify(user.password_hash, password):
                return False
            now = self._clock.now()
            async with self._uow() as uow:
                if not await redeem_code(uow, self._totp, user.id, code, now):
                    return False
                await uow.totp.delete(user.id)
                await uow.recovery_codes.delete_all(user.id)
                await uow.users.update(dataclasses.replace(user, two_factor=False, updated_at=now))
                await self._audit(uow, actor, "auth.mfa.disable", Outcome.SUCCESS)
                await uow.commit()
            return True

        if not await guess(self._attempts, user.email, actor.context.client_address, right):
            await self._audit_alone(actor, "auth.mfa.disable", Outcome.DENIED)
            raise InvalidInput(
                WRONG_PASSWORD_OR_CODE,
                [
                    FieldError("password", "or code is incorrect"),
                    FieldError("code", "or password is incorrect"),
                ],
            )
        await self._mail.enqueue(notice_mail(user.email, SecurityNotice.TWO_FACTOR_OFF))
        log.info("two-factor turned off", extra={"user_id": str(user.id)})

    async def _user(self, uow: UnitOfWork, actor: Actor) -> User:
        user = await uow.users.get(actor.id)
        if user is None or not user.is_active:
            raise AuthenticationFailed(INACTIVE)
        return user

    async def _audit(self, uow: UnitOfWork, actor: Actor, action: str, outcome: Outcome) -> None:
        target = Target(action=action, type="user", id=actor.id)
        await uow.audit.add(audit_event(actor, target, outcome, self._clock.now()))

    async def _audit_alone(self, actor: Actor, action: str, outcome: Outcome) -> None:
        async with self._uow() as uow:
            await self._audit(uow, actor, action, outcome)
            await uow.commit()
