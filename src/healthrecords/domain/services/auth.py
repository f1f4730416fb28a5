"""Login, refresh-token rotation with reuse detection, and logout.

Refresh tokens are opaque random strings; only their SHA-256 is stored. Each
login starts a family; every refresh spends the presented token and adds its
successor to the same family. A spent token presented again means it was
copied, so the whole family is revoked (OAuth 2.0 Security BCP, 4.14).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from datetime import timedelta

from healthrecords.domain.actor import Actor, RequestContext
from healthrecords.domain.audit import Outcome
from healthrecords.domain.emails import normalise_email
from healthrecords.domain.errors import AuthenticationFailed
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.login_attempts import LoginAttemptLimiter
from healthrecords.domain.ports.security import AccessTokenCodec, PasswordHasher
from healthrecords.domain.ports.unit_of_work import UnitOfWorkFactory
from healthrecords.domain.services.guesses import guess
from healthrecords.domain.services.second_factor import SecondFactorDue, open_challenge
from healthrecords.domain.services.sign_in_trail import sign_in_event, write_alone
from healthrecords.domain.services.token_issuer import TokenIssuer, TokenPair, token_digest
from healthrecords.domain.users import User

log = logging.getLogger(__name__)

INVALID_CREDENTIALS = "The email or password is incorrect."
INVALID_REFRESH = "The refresh token is invalid, expired or revoked."


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
        self._tokens = TokenIssuer(access_tokens, refresh_ttl)
        self._clock = clock
        self._attempts = attempts
        self._dummy_hash: str | None = None

    async def login(
        self, email: str, password: str, context: RequestContext | None = None
    ) -> TokenPair | SecondFactorDue:
        """Failures are counted under the account with the context's client
        address (HTTP passes the TCP peer); callers without one share one."""
        found: tuple[User | None, str | None] = (None, None)

        async def right() -> bool:
            nonlocal found
            found = await self._verified_user(email, password)
            return found[0] is not None and found[1] is None

        async def locked() -> None:
            await self._refused("auth.login.locked", email, context)

        def settle() -> bool:
            return found[0] is None or not found[0].two_factor

        address = context.client_address if context else None
        if not await guess(self._attempts, email, address, right, locked, settle):
            user, why = found
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
        user = found[0]
        assert user is not None, "a right guess has an account"
        now = self._clock.now()
        async with self._uow() as uow:
            if self._hasher.needs_rehash(user.password_hash):
                rehashed = await self._hasher.hash(password)
                await uow.users.update(
                    dataclasses.replace(user, password_hash=rehashed, updated_at=now)
                )
            if user.two_factor:
                due = await open_challenge(uow, user, context, now)
                await uow.commit()
                return due
            pair = await self._tokens.start_session(uow, user, context, now)
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
            pair = await self._tokens.issue(uow, user, family.id, now)
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
