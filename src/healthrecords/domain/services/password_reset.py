"""Password reset by email (ASVS 5.0, 6.4).

`request` runs after the HTTP answer (202, the same whether or not the
account exists) has been sent, so its work cannot show in the timing. The
owner of an active account gets a one-time token (30 minutes, stored hashed)
by email, sent after commit. At most three emails per account per clock
hour, held by a unique slot so a burst cannot exceed it; per client address
the HTTP rate limit applies. `confirm` spends the token once, sets the new
password and ends every session; two-factor still applies at the next login.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from uuid import uuid4

from healthrecords.domain.actor import RequestContext
from healthrecords.domain.audit import Outcome
from healthrecords.domain.emails import normalise_email
from healthrecords.domain.errors import FieldError, InvalidInput
from healthrecords.domain.mail import SecurityNotice, notice_mail, reset_mail
from healthrecords.domain.password_resets import (
    RESET_MINUTES,
    RESETS_PER_ACCOUNT_PER_HOUR,
    PasswordReset,
    hour_of,
)
from healthrecords.domain.passwords import PasswordPolicy
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.mail import MailQueue
from healthrecords.domain.ports.security import PasswordHasher
from healthrecords.domain.ports.unit_of_work import UnitOfWorkFactory
from healthrecords.domain.services.new_password import acceptable_hash, store_password
from healthrecords.domain.services.sign_in_trail import sign_in_event
from healthrecords.domain.services.token_issuer import token_digest

log = logging.getLogger(__name__)

INVALID_TOKEN = "The reset token is invalid, expired or used."
RESET_TOKEN_BYTES = 32
MAX_EMAIL = 320


def invalid_token() -> InvalidInput:
    return InvalidInput(INVALID_TOKEN, [FieldError("token", "is invalid, expired or used")])


class PasswordResetService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Clock,
        policy: PasswordPolicy,
        mail: MailQueue,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._policy = policy
        self._mail = mail

    async def request_quietly(self, email: str, context: RequestContext | None = None) -> None:
        """`request`, for after the answer was sent: nobody is left to tell of a failure."""
        try:
            await self.request(email, context)
        except Exception as exc:
            # The error class only: the email is the caller's input.
            log.error("password reset request failed", extra={"error": type(exc).__name__})

    async def request(self, email: str, context: RequestContext | None = None) -> None:
        now = self._clock.now()
        raw = secrets.token_urlsafe(RESET_TOKEN_BYTES)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(normalise_email(email)[:MAX_EMAIL])
            outcome = Outcome.NOT_FOUND if user is None else Outcome.DENIED
            if user is not None and user.is_active:
                hour = hour_of(now)
                taken = await uow.password_resets.count_in_hour(user.id, hour)
                if taken < RESETS_PER_ACCOUNT_PER_HOUR:
                    reset = PasswordReset(
                        id=uuid4(),
                        user_id=user.id,
                        token_hash=token_digest(raw),
                        created_at=now,
                        expires_at=now + timedelta(minutes=RESET_MINUTES),
                        hour=hour,
                        slot=taken + 1,
                    )
                    # A concurrent request that took the same slot wins it.
                    if await uow.password_resets.add(reset):
                        outcome = Outcome.SUCCESS
            event = sign_in_event("auth.password_reset.request", outcome, context, now, target=user)
            await uow.audit.add(event)
            await uow.commit()
        if outcome is Outcome.SUCCESS and user is not None:
            await self._mail.enqueue(reset_mail(user.email, raw, RESET_MINUTES))

    async def confirm(
        self, token: str, new_password: str, context: RequestContext | None = None
    ) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            reset = await uow.password_resets.get_by_hash(token_digest(token))
            user = await uow.users.get(reset.user_id) if reset else None
        usable = reset is not None and reset.used_at is None and reset.expires_at > now
        if reset is None or user is None or not user.is_active or not usable:
            raise invalid_token()
        new_hash = await acceptable_hash(self._policy, self._hasher, user, new_password)
        now = self._clock.now()
        async with self._uow() as uow:
            # Compare-and-set: of concurrent confirmations with one token, one wins.
            if not await uow.password_resets.use(reset.id, now):
                raise invalid_token()
            await store_password(uow, user, new_hash, now)
            await uow.audit.add(
                sign_in_event(
                    "auth.password_reset.confirm", Outcome.SUCCESS, context, now, target=user
                )
            )
            await uow.commit()
        await self._mail.enqueue(notice_mail(user.email, SecurityNotice.PASSWORD_CHANGED))
        log.info("password reset", extra={"user_id": str(user.id)})
