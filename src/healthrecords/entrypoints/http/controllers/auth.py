"""/api/auth/: register, login, refresh, logout, me."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import RequestBody

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.services.second_factor import SecondFactorDue
from healthrecords.entrypoints.http.account_schemas import (
    LoginIn,
    RefreshTokenIn,
    RegisterIn,
    TokensOut,
    UserOut,
)
from healthrecords.entrypoints.http.deps import ENROLMENT_OPT, request_context
from healthrecords.entrypoints.http.openapi_errors import problems
from healthrecords.entrypoints.http.session_schemas import MfaRequiredOut


class AuthController(Controller):
    path = "/api/auth"
    tags = ("auth",)
    cache_control = CacheControlHeader(no_store=True)

    @post(
        "/register/",
        summary="Create a patient or doctor account",
        status_code=201,
        opt=problems(409, 422),
    )
    async def register(
        self, container: NamedDependency[Container], data: RequestBody[RegisterIn]
    ) -> UserOut:
        user = await container.accounts.register(
            data.email, data.password, data.full_name, data.role
        )
        return UserOut.of(user)

    @post(
        "/login/",
        summary="Trade email and password for tokens",
        description=(
            "With two-factor on, a right password answers `mfa_required` and an "
            "`mfa_token` (5 minutes) instead of tokens: send it with a code to "
            "`POST /api/auth/mfa/verify/`."
        ),
        status_code=200,
        opt=problems(401),
    )
    async def login(
        self,
        container: NamedDependency[Container],
        request: Request[Any, Any, Any],
        data: RequestBody[LoginIn],
    ) -> TokensOut | MfaRequiredOut:
        # The context carries the TCP peer, which failures are counted under
        # with the account (see README, Limits).
        result = await container.auth.login(data.email, data.password, request_context(request))
        if isinstance(result, SecondFactorDue):
            return MfaRequiredOut.of(result)
        return TokensOut.of(result)

    @post(
        "/refresh/",
        summary="Spend a refresh token for a new pair",
        status_code=200,
        opt=problems(401),
    )
    async def refresh(
        self,
        container: NamedDependency[Container],
        request: Request[Any, Any, Any],
        data: RequestBody[RefreshTokenIn],
    ) -> TokensOut:
        pair = await container.auth.refresh(data.refresh_token, request_context(request))
        return TokensOut.of(pair)

    @post(
        "/logout/",
        summary="Revoke the refresh token's whole family",
        status_code=204,
        security=[{"BearerToken": []}],
        opt={ENROLMENT_OPT: True},
    )
    async def logout(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        data: RequestBody[RefreshTokenIn],
    ) -> None:
        await container.auth.logout(actor, data.refresh_token)

    @get("/me/", summary="The signed-in user", security=[{"BearerToken": []}])
    async def me(
        self, container: NamedDependency[Container], actor: NamedDependency[Actor]
    ) -> UserOut:
        return UserOut.of(await container.accounts.me(actor))
