"""The second step of signing in to an account with two-factor on.

A right password opens a challenge (5 minutes, 5 tries) instead of a
session. `POST /api/auth/mfa/verify/` answers it with a TOTP code or a
recovery code. Each try is counted on the challenge before the code is
checked, and as a guess on the account (the login limits), so concurrent
wrong codes cannot exceed either limit; a code is accepted once (the TOTP
step only moves forward, a recovery code is spent), so the same code sent
twice at once signs in once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from healthrecords.domain.actor import RequestContext
from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import AuthenticationFailed
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.login_attempts import LoginAttemptLimiter
from healthrecords.domain.ports.two_factor import TotpAlgorithm
from healthrecords.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from healthrecords.domain.services.guesses import guess
from healthrecords.domain.services.sign_in_trail import sign_in_event, write_alone
from healthrecords.domain.services.token_issuer import TokenIssuer, TokenPair, token_digest
from healthrecords.domain.two_factor import (
    CHALLENGE_ATTEMPTS,
    CHALLENGE_SECONDS,
    MfaChallenge,
    is_totp_code,
    normalise_recovery_code,
)
from healthrecords.domain.users import User

log = logging.getLogger(__name__)

INVALID_CHALLENGE = "The sign-in challenge is invalid, expired or used up; sign in again."
INVALID_CODE = "The code is incorrect or was used already."
CHALLENGE_BYTES = 32


@dataclass(frozen=True, slots=True)
class SecondFactorDue:
    """What a right password gets when two-factor is on: no tokens yet."""

    mfa_token: str
    expires_in: int = CHALLENGE_SECONDS


async def open_challenge(
    uow: UnitOfWork, user: User, context: RequestContext | None, now: datetime
) -> SecondFactorDue:
    raw = secrets.token_urlsafe(CHALLENGE_BYTES)
    await uow.mfa_challenges.add(
        MfaChallenge(
            id=uuid4(),
            user_id=user.id,
            token_hash=token_digest(raw),
            created_at=now,
            expires_at=now + timedelta(seconds=CHALLENGE_SECONDS),
        )
    )
    await uow.audit.add(
        sign_in_event("auth.login.mfa_required", Outcome.SUCCESS, context, now, target=user)
    )
    return SecondFactorDue(raw)


async def redeem_code(
    uow: UnitOfWork, totp: TotpAlgorithm, user_id: UUID, code: str, now: datetime
) -> bool:
    """Accept a TOTP code or a recovery code of the user's, once; in `uow`."""
    code = code.strip()
    if is_totp_code(code):
        credential = await uow.totp.get(user_id)
        if credential is None or credential.confirmed_at is None:
            return False
        step = totp.matching_step(credential.secret, code, now)
        return step is not None and await uow.totp.accept_step(user_id, step)
    digest = token_digest(normalise_recovery_code(code))
    return await uow.recovery_codes.use(user_id, digest, now)


class SecondFactorService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        totp: TotpAlgorithm,
        attempts: LoginAttemptLimiter,
        tokens: TokenIssuer,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._totp = totp
        self._attempts = attempts
        self._tokens = tokens

    async def verify(
        self, mfa_token: str, code: str, context: RequestContext | None = None
    ) -> TokenPair:
        async with self._uow() as uow:
            challenge = await uow.mfa_challenges.attempt(
                token_digest(mfa_token), self._clock.now(), CHALLENGE_ATTEMPTS
            )
            user = await uow.users.get(challenge.user_id) if challenge else None
            await uow.commit()
        if challenge is None or user is None or not user.is_active:
            raise AuthenticationFailed(INVALID_CHALLENGE)
        pair: TokenPair | None = None

        async def right() -> bool:
            nonlocal pair
            pair = await self._redeem(challenge, user, code, context)
            return pair is not None

        async def locked() -> None:
            await self._refused("auth.mfa.locked", user, context)

        address = context.client_address if context else None
        if not await guess(self._attempts, user.email, address, right, locked) or pair is None:
            await self._refused("auth.mfa.bad_code", user, context)
            raise AuthenticationFailed(INVALID_CODE)
        log.info("login succeeded", extra={"user_id": str(user.id), "factor": "second"})
        return pair

    async def _redeem(
        self, challenge: MfaChallenge, user: User, code: str, context: RequestContext | None
    ) -> TokenPair | None:
        now = self._clock.now()
        async with self._uow() as uow:
            if not await redeem_code(uow, self._totp, user.id, code, now):
                return None
            if not await uow.mfa_challenges.use(challenge.id, now):
                return None
            pair = await self._tokens.start_session(uow, user, context, now)
            await uow.audit.add(
                sign_in_event("auth.login", Outcome.SUCCESS, context, now, target=user, by=user)
            )
            await uow.commit()
        return pair

    async def _refused(self, action: str, user: User, context: RequestContext | None) -> None:
        event = sign_in_event(action, Outcome.DENIED, context, self._clock.now(), target=user)
        await write_alone(self._uow, event)
