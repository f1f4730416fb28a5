"""Dependencies handed to controllers: the container and the calling Actor."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor, RequestContext
from healthrecords.domain.errors import AuthenticationFailed

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


async def provide_actor(
    request: Request[Any, Any, Any], container: NamedDependency[Container]
) -> Actor:
    claims = container.access_tokens.verify(bearer_token(request))
    # The role and activation come from the stored user, not only the token,
    # so a deactivated account stops at once.
    async with container.uow() as uow:
        user = await uow.users.get(claims.subject)
    if user is None or not user.is_active or user.role != claims.role:
        raise AuthenticationFailed(INACTIVE)
    return Actor(id=user.id, role=user.role, context=request_context(request))


def dependencies(container: Container) -> dict[str, Provide]:
    return {
        "container": Provide(lambda: container, sync_to_thread=False, use_cache=True),
        "actor": Provide(provide_actor),
    }
