"""Dependencies handed to controllers: the container and the calling Actor."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor, RequestContext
from healthrecords.domain.errors import AuthenticationFailed, Forbidden
from healthrecords.domain.ports.security import AccessClaims
from healthrecords.entrypoints.http.active_users import ActiveUsers
from healthrecords.entrypoints.http.sockets.account_watch import AccountWatch
from healthrecords.entrypoints.http.verified_tokens import VerifiedTokens

INACTIVE = "The access token is missing, invalid or expired."
ENROL_FIRST = (
    "Two-factor sign-in is required for your role: enrol at POST /api/auth/mfa/totp/ "
    "and confirm it before using anything else."
)
# Route handlers that an account due to enrol in two-factor may still reach.
ENROLMENT_OPT = "open_before_enrolment"


def request_context(request: Request[Any, Any, Any]) -> RequestContext:
    client = request.client.host if request.client else None
    return RequestContext(
        request_id=request.scope.get("state", {}).get("request_id", ""),
        client_address=client,
        user_agent=request.headers.get("user-agent") or None,
    )


def bearer_token(request: Request[Any, Any, Any]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed(INACTIVE)
    return token.strip()


class ActorProvider:
    """Builds the calling Actor from the bearer token and the stored user and session."""

    def __init__(self, container: Container, active: ActiveUsers | None = None) -> None:
        self._container = container
        self._active = active or ActiveUsers()
        self._tokens = VerifiedTokens(container.access_tokens, container.clock)

    async def __call__(self, request: Request[Any, Any, Any]) -> Actor:
        enrolling = bool(request.route_handler.opt.get(ENROLMENT_OPT))
        claims = await self.verified(bearer_token(request), enrolling=enrolling)
        return Actor(
            id=claims.subject,
            role=claims.role,
            context=request_context(request),
            session_id=claims.session_id,
        )

    async def verified(self, token: str, *, enrolling: bool = False) -> AccessClaims:
        """The token's claims, once its user is known to be active in that
        role and its session live (HTTP requests and socket auth alike).
        Raises Forbidden for an account due to enrol in two-factor unless
        `enrolling` (an enrolment route)."""
        # The memory caches the signature check only; the stored state below
        # is still read per request through the ACTIVE_USER_SECONDS cache.
        claims = self._tokens.verify(token)
        # The role, activation and the session come from stored state, not only
        # the token, so a deactivated account or an ended session stops within
        # ACTIVE_USER_SECONDS on every replica.
        key = (claims.subject, claims.session_id)
        if self._active.role_of(key) is not claims.role:
            read_at = self._active.now()
            standing = await self._container.user_sessions.standing(claims)
            if standing is None:
                raise AuthenticationFailed(INACTIVE)
            if standing.enrolment_due:
                # Not remembered: the first request after enrolment is let through.
                if not enrolling:
                    raise Forbidden(ENROL_FIRST)
            else:
                self._active.remember(key, standing.role, read_at)
        return claims

    async def socket_claims(self, token: str) -> AccessClaims:
        """`verified` for a notification socket: an account due to enrol in
        two-factor gets no notifications either, and is told so as a 4401."""
        try:
            return await self.verified(token)
        except Forbidden as exc:
            raise AuthenticationFailed(INACTIVE) from exc


def dependencies(container: Container) -> dict[str, Provide]:
    provider = ActorProvider(container)
    watch = account_watch(container)

    # Naming `container` puts it in a batch of its own before `actor`: Litestar
    # resolves the dependencies of one batch in an anyio task group, a task
    # group and a task per request (~5% of a record read's CPU in py-spy).
    async def provide_actor(
        request: Request[Any, Any, Any], container: NamedDependency[Container]
    ) -> Actor:
        return await provider(request)

    return {
        "container": Provide(lambda: container, sync_to_thread=False, use_cache=True),
        "actor": Provide(provide_actor),
        "actor_provider": Provide(lambda: provider, sync_to_thread=False, use_cache=True),
        "account_watch": Provide(lambda: watch, sync_to_thread=False, use_cache=True),
    }


def account_watch(container: Container) -> AccountWatch:
    """The process's re-check of its sockets' accounts and sessions: one read for all."""

    return AccountWatch(container.user_sessions.live)
