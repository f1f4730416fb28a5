"""Dependencies handed to controllers: the container and the calling Actor."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.di import NamedDependency, Provide

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor, RequestContext
from healthrecords.domain.errors import AuthenticationFailed
from healthrecords.domain.ports.security import AccessClaims
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.active_users import ActiveUsers
from healthrecords.entrypoints.http.sockets.account_watch import AccountWatch
from healthrecords.entrypoints.http.verified_tokens import VerifiedTokens

INACTIVE = "The access token is missing, invalid or expired."


def request_context(request: Request[Any, Any, Any]) -> RequestContext:
    client = request.client.host if request.client else None
    return RequestContext(
        request_id=request.scope.get("state", {}).get("request_id", ""), client_address=client
    )


def bearer_token(request: Request[Any, Any, Any]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed(INACTIVE)
    return token.strip()


class ActorProvider:
    """Builds the calling Actor from the bearer token and the stored user."""

    def __init__(self, container: Container, active: ActiveUsers | None = None) -> None:
        self._container = container
        self._active = active or ActiveUsers()
        self._tokens = VerifiedTokens(container.access_tokens, container.clock)

    async def __call__(self, request: Request[Any, Any, Any]) -> Actor:
        claims = await self.verified(bearer_token(request))
        return Actor(id=claims.subject, role=claims.role, context=request_context(request))

    async def verified(self, token: str) -> AccessClaims:
        """The token's claims, once its user is known to be active in that
        role (HTTP requests and socket auth alike)."""
        claims = self._tokens.verify(token)
        # The role and activation come from the stored user, not only the
        # token, so a deactivated account stops within ACTIVE_USER_SECONDS.
        if self._active.role_of(claims.subject) is not claims.role:
            read_at = self._active.now()
            async with self._container.statement_uow() as uow:
                user = await uow.users.get(claims.subject)
            if user is None or not user.is_active or user.role != claims.role:
                raise AuthenticationFailed(INACTIVE)
            self._active.remember(user.id, user.role, read_at)
        return claims


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
    """The process's re-check of its sockets' accounts: one read for all."""

    async def active_roles(user_ids: Collection[UUID]) -> Mapping[UUID, Role]:
        async with container.statement_uow() as uow:
            return await uow.users.active_roles(user_ids)

    return AccountWatch(active_roles)
