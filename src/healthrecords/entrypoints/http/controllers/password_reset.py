"""/api/auth/password-reset/: a forgotten password, reset by email."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import RequestBody

from healthrecords.bootstrap import Container
from healthrecords.entrypoints.http.deps import request_context
from healthrecords.entrypoints.http.openapi_errors import problems
from healthrecords.entrypoints.http.session_schemas import (
    PasswordResetConfirmIn,
    PasswordResetIn,
    ResetRequestedOut,
)


class PasswordResetController(Controller):
    path = "/api/auth/password-reset"
    tags = ("auth",)
    cache_control = CacheControlHeader(no_store=True)

    @post(
        "/",
        summary="Email a one-time reset token to the account's owner",
        description=(
            "Always 202, whether or not the account exists. The token is valid 30 minutes "
            "and good once. At most 3 emails per account per hour; requests per client "
            "address are rate-limited (HEALTHRECORDS_PASSWORD_RESET_PER_MINUTE)."
        ),
        status_code=202,
    )
    async def request_reset(
        self,
        container: NamedDependency[Container],
        request: Request[Any, Any, Any],
        data: RequestBody[PasswordResetIn],
    ) -> Response[ResetRequestedOut]:
        # The work (lookup, token, audit, mail) runs after the answer is sent,
        # so a known and an unknown email take the same time to answer.
        work = BackgroundTask(
            container.password_reset.request_quietly, data.email, request_context(request)
        )
        return Response(ResetRequestedOut(), status_code=202, background=work)

    @post(
        "/confirm/",
        summary="Set a new password with a reset token",
        description=(
            "The new password follows the registration rules. Every session of the account "
            "ends; two-factor still applies at the next login."
        ),
        status_code=204,
        opt=problems(422),
    )
    async def confirm_reset(
        self,
        container: NamedDependency[Container],
        request: Request[Any, Any, Any],
        data: RequestBody[PasswordResetConfirmIn],
    ) -> None:
        await container.password_reset.confirm(
            data.token, data.new_password, request_context(request)
        )
