"""Login, refresh-token rotation with reuse detection, and logout.

Refresh tokens are opaque random strings; only their SHA-256 is stored. Each
login starts a family; every refresh spends the presented token and adds its
successor to the same family. A spent token presented again means it was
copied, so the whole family is revoked (OAuth 2.0 Security BCP, 4.14).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from healthrecords.domain.actor import Actor, RequestContext
from healthrecords.domain.audit import Outcome
from healthrecords.domain.emails import normalise_email
from healthrecords.domain.errors import AuthenticationFailed, TooManyAttempts
from healthrecords.domain.login_limits import LoginAttempt
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.login_attempts import LoginAttemptLimiter
from healthrecords.domain.ports.security import AccessTokenCodec, PasswordHasher
from healthrecords.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from healthrecords.domain.services.sign_in_trail import sign_in_event, write_alone
from healthrecords.domain.tokens import RefreshToken, RefreshTokenFamily
from healthrecords.domain.users import User

log = logging.getLogger(__name__)

INVALID_CREDENTIALS = "The email or password is incorrect."
INVALID_REFRESH = "The refresh token is invalid, expired or revoked."
TOO_MANY_FAILURES = "Too many failed logins for this account; try again later."
REFRESH_TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


MAX_USER_AGENT = 256
MAX_ADDRESS = 64


def new_session(user: User, context: RequestContext | None, now: datetime) -> RefreshTokenFamily:
    """A login's family, with what the user will recognise it by in the session list."""
    context = context or RequestContext()
    agent = context.user_agent
    return RefreshTokenFamily(
        id=uuid4(),
        user_id=user.id,
        created_at=now,
        last_used_at=now,
        client_address=(context.client_address or "")[:MAX_ADDRESS] or None,
        user_agent=agent[:MAX_USER_AGENT] if agent else None,
    )


class AuthService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        access_tokens: AccessTokenCodec,
        clock: Clock,
        attempts: LoginAttemptLimiter,
        refresh_ttl: timedelta,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._access_tokens = access_tokens
        self._clock = clock
        self._attempts = attempts
        self._refresh_ttl = refresh_ttl
        self._dummy_hash: str | None = None

    async def login(
        self, email: str, password: str, context: RequestContext | None = None
    ) -> TokenPair:
        """Failures are counted under the account with the context's client
        address (HTTP passes the TCP peer); callers without one share one."""
        address = context.client_address if context and context.client_address else "unknown"
        attempt = LoginAttempt.of(email, address)
        # Reserved (counted as a failure) before the password is verified, so
        # concurrent guesses cannot all be verified against one count.
        wait = await self._attempts.reserve(attempt)
        if wait > 0:
            await self._refused("auth.login.locked", email, context)
            raise TooManyAttempts(TOO_MANY_FAILURES, wait)
        try:
            user, why = await self._verified_user(email, password)
        except Exception:
            # Undecided (an outage): the guess was not checked, so it is given
            # back. A cancelled request keeps it: failing closed is safer.
            await self._attempts.cancel(attempt)
            raise
        if user is None or why is not None:
            log.info("login failed")
            await write_alone(
                self._uow,
                sign_in_event(
                    f"auth.login.{why}",
                    Outcome.NOT_FOUND if user is None else Outcome.DENIED,
                    context,
                    self._clock.now(),
                    target=user,
                ),
            )
            raise AuthenticationFailed(INVALID_CREDENTIALS)
        await self._attempts.succeeded(attempt)
        now = self._clock.now()
        async with self._uow() as uow:
            if self._hasher.needs_rehash(user.password_hash):
                rehashed = await self._hasher.hash(password)
                await uow.users.update(
                    dataclasses.replace(user, password_hash=rehashed, updated_at=now)
                )
            family = new_session(user, context, now)
            await uow.refresh_tokens.add_family(family)
            pair = await self._issue(uow, user, family.id, now)
            await uow.audit.add(
                sign_in_event("auth.login", Outcome.SUCCESS, context, now, target=user, by=user)
            )
            await uow.commit()
        log.info("login succeeded", extra={"user_id": str(user.id)})
        return pair

    async def refresh(self, refresh_token: str, context: RequestContext | None = None) -> TokenPair:
        now = self._clock.now()
        async with self._uow() as uow:
            token = await uow.refresh_tokens.get_by_hash(token_digest(refresh_token))
            if token is None:
                raise AuthenticationFailed(INVALID_REFRESH)
            family = await uow.refresh_tokens.get_family(token.family_id)
            if family is None or family.revoked_at is not None:
                raise AuthenticationFailed(INVALID_REFRESH)
            if token.expires_at <= now:
                raise AuthenticationFailed(INVALID_REFRESH)
            user = await uow.users.get(token.user_id)
            if user is None or not user.is_active:
                raise AuthenticationFailed(INVALID_REFRESH)
            # Spent already, whether long ago or by a request racing this one:
            # a second presentation is reuse either way, so the outcome does not
            # depend on timing.
            if token.spent_at is not None or not await uow.refresh_tokens.spend(token.id, now):
                await uow.refresh_tokens.revoke_family(family.id, now)
                await uow.audit.add(
                    sign_in_event("auth.refresh.reuse", Outcome.DENIED, context, now, target=user)
                )
                await uow.commit()
                log.warning(
                    "refresh token reuse: family revoked",
                    extra={"user_id": str(token.user_id), "family_id": str(family.id)},
                )
                raise AuthenticationFailed(INVALID_REFRESH)
            await uow.refresh_tokens.touch_family(family.id, now)
            pair = await self._issue(uow, user, family.id, now)
            await uow.commit()
        return pair

    async def logout(self, actor: Actor, refresh_token: str) -> None:
        """Revoke the token's family; unknown or foreign tokens change nothing."""
        now = self._clock.now()
        async with self._uow() as uow:
            token = await uow.refresh_tokens.get_by_hash(token_digest(refresh_token))
            mine = token is not None and token.user_id == actor.id
            if token is not None and mine:
                await uow.refresh_tokens.revoke_family(token.family_id, now)
            outcome = Outcome.SUCCESS if mine else Outcome.NOT_FOUND
            await uow.audit.add(
                sign_in_event(
                    "auth.logout", outcome, actor.context, now, target_id=actor.id, by=actor
                )
            )
            await uow.commit()
            if not mine:
                return
        log.info("logged out", extra={"user_id": str(actor.id)})

    async def _issue(
        self, uow: UnitOfWork, user: User, family_id: UUID, now: datetime
    ) -> TokenPair:
        raw = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
        await uow.refresh_tokens.add(
            RefreshToken(
                id=uuid4(),
                family_id=family_id,
                user_id=user.id,
                token_hash=token_digest(raw),
                created_at=now,
                expires_at=now + self._refresh_ttl,
            )
        )
        access, claims = self._access_tokens.issue(user.id, user.role, family_id)
        lifetime = int((claims.expires_at - claims.issued_at).total_seconds())
        return TokenPair(access_token=access, refresh_token=raw, expires_in=lifetime)

    async def _refused(self, action: str, email: str, context: RequestContext | None) -> None:
        async with self._uow() as uow:
            user = await uow.users.get_by_email(normalise_email(email))
        await write_alone(
            self._uow,
            sign_in_event(action, Outcome.DENIED, context, self._clock.now(), target=user),
        )

    async def _verified_user(self, email: str, password: str) -> tuple[User | None, str | None]:
        """The account, and why the attempt fails (None when it succeeds)."""
        # Made before the lookup, so the one-off cost of creating it falls on
        # the first login of any kind, not on the first unknown email.
        dummy = await self._unknown_user_hash()
        async with self._uow() as uow:
            user = await uow.users.get_by_email(normalise_email(email))
        # An unknown email is checked against the dummy hash, so it costs the
        # same time as a known one and answers the same 401.
        stored = user.password_hash if user else dummy
        verified = await self._hasher.verify(stored, password)
        if user is None:
            return None, "unknown_account"
        if not verified:
            return user, "bad_password"
        if not user.is_active:
            return user, "inactive"
        return user, None

    async def _unknown_user_hash(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash
