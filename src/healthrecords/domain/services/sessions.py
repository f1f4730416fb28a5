"""Sessions: the refresh-token families a user can list and end.

Every login starts a session; its id is the `sid` of each access token issued
under it. A session is live until it is revoked (logout, its end here, a
password change or reset, deactivation, refresh-token reuse) or unused for
the refresh-token lifetime. Access checks ask `standing` whether the token's
session and account still hold, so an ended session stops its access tokens
within the caller's cache bound.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import NotFound
from healthrecords.domain.pagination import Cursor, Page, check_limit
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.security import AccessClaims
from healthrecords.domain.ports.unit_of_work import UnitOfWorkFactory
from healthrecords.domain.services.trail import Target, audit_event
from healthrecords.domain.tokens import RefreshTokenFamily
from healthrecords.domain.users import Role, User

log = logging.getLogger(__name__)

NO_SUCH_SESSION = "No such session."


@dataclass(frozen=True, slots=True)
class SessionView:
    session: RefreshTokenFamily
    current: bool


@dataclass(frozen=True, slots=True)
class Standing:
    """What an access token's holder may do now, read from stored state."""

    role: Role
    # The account's role requires two-factor and it has not enrolled yet:
    # only the enrolment routes are open.
    enrolment_due: bool = False


class SessionService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        refresh_ttl: timedelta,
        mfa_required_roles: frozenset[Role] = frozenset(),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._refresh_ttl = refresh_ttl
        self._mfa_required = mfa_required_roles

    async def standing(self, claims: AccessClaims) -> Standing | None:
        """None unless the account is active in the token's role and the
        token's session is still live."""
        user = await self._live_user(claims.subject, claims.session_id)
        if user is None or user.role is not claims.role:
            return None
        due = user.role in self._mfa_required and not user.two_factor
        return Standing(user.role, enrolment_due=due)

    async def live(self, sessions: Collection[tuple[UUID, UUID]]) -> set[tuple[UUID, UUID]]:
        """Which (user id, session id) pairs still hold: the account active and
        the session live. Two statements however many pairs (the sockets of a
        process), per 5,000 ids."""
        async with self._uow() as uow:
            active = await uow.users.active_roles({user for user, _ in sessions})
            owners = await uow.refresh_tokens.live_sessions({sid for _, sid in sessions})
        return {(u, s) for u, s in sessions if u in active and owners.get(s) == u}

    async def _live_user(self, user_id: UUID, session_id: UUID) -> User | None:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None or not user.is_active:
                return None
            family = await uow.refresh_tokens.get_family(session_id)
        if family is None or family.user_id != user.id or family.revoked_at is not None:
            return None
        return user

    async def list(self, actor: Actor, limit: int, cursor: str | None) -> Page[SessionView]:
        limit = check_limit(limit)
        after = Cursor.decode(cursor) if cursor else None
        since = self._clock.now() - self._refresh_ttl
        async with self._uow() as uow:
            found = list(
                await uow.refresh_tokens.list_live_families(actor.id, since, limit + 1, after)
            )
        items = found[:limit]
        more = len(found) > limit
        views = [SessionView(f, f.id == actor.session_id) for f in items]
        last = items[-1] if items else None
        return Page(views, Cursor(last.created_at, last.id).encode() if more and last else None)

    async def end(self, actor: Actor, session_id: UUID) -> None:
        """End one of the caller's sessions (its own current one included)."""
        now = self._clock.now()
        async with self._uow() as uow:
            family = await uow.refresh_tokens.get_family(session_id)
            mine = family is not None and family.user_id == actor.id
            ended = mine and await uow.refresh_tokens.revoke_family(session_id, now)
            target = Target(action="auth.session.end", type="session", id=session_id)
            outcome = Outcome.SUCCESS if ended else Outcome.NOT_FOUND
            await uow.audit.add(audit_event(actor, target, outcome, now))
            await uow.commit()
        if not ended:
            raise NotFound(NO_SUCH_SESSION)
        log.info("session ended", extra={"user_id": str(actor.id), "session_id": str(session_id)})
