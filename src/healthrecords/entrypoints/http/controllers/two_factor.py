"""/api/auth/mfa/: two-factor sign-in (TOTP) on and off, and the second step of a login."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import RequestBody

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.entrypoints.http.account_schemas import TokensOut
from healthrecords.entrypoints.http.deps import ENROLMENT_OPT, request_context
from healthrecords.entrypoints.http.openapi_errors import problems
from healthrecords.entrypoints.http.session_schemas import (
    MfaVerifyIn,
    RecoveryCodesOut,
    TotpConfirmIn,
    TotpDisableIn,
    TotpEnrolmentOut,
)

BEARER: list[dict[str, list[str]]] = [{"BearerToken": []}]


class TwoFactorController(Controller):
    path = "/api/auth/mfa"
    tags = ("auth",)
    cache_control = CacheControlHeader(no_store=True)

    @post(
        "/totp/",
        summary="Start enrolling an authenticator app",
        description=(
            "A new pending secret and its otpauth:// URI (show it as a QR code). Two-factor "
            "is not on until a code confirms it. Open to accounts that must enrol first."
        ),
        status_code=201,
        security=BEARER,
        opt={ENROLMENT_OPT: True, **problems(409)},
    )
    async def enrol(
        self, container: NamedDependency[Container], actor: NamedDependency[Actor]
    ) -> TotpEnrolmentOut:
        enrolment = await container.two_factor.enrol(actor)
        return TotpEnrolmentOut(enrolment.secret, enrolment.otpauth_uri)

    @post(
        "/totp/confirm/",
        summary="Turn two-factor on with the app's first code",
        description="Answers ten recovery codes, shown once; each signs in once.",
        status_code=200,
        security=BEARER,
        opt={ENROLMENT_OPT: True, **problems(409, 422)},
    )
    async def confirm(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        data: RequestBody[TotpConfirmIn],
    ) -> RecoveryCodesOut:
        return RecoveryCodesOut(await container.two_factor.confirm(actor, data.code))

    @delete(
        "/totp/",
        summary="Turn two-factor off (password and a current code)",
        status_code=204,
        security=BEARER,
        opt=problems(409, 422),
    )
    async def disable(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        data: RequestBody[TotpDisableIn],
    ) -> None:
        await container.two_factor.disable(actor, data.password, data.code)

    @post(
        "/verify/",
        summary="Answer a login's two-factor challenge with a code",
        description=(
            "A TOTP code or a recovery code, each accepted once. Five wrong codes void the "
            "mfa_token; wrong codes count toward the account's login limits."
        ),
        status_code=200,
        opt=problems(401),
    )
    async def verify(
        self,
        container: NamedDependency[Container],
        request: Request[Any, Any, Any],
        data: RequestBody[MfaVerifyIn],
    ) -> TokensOut:
        pair = await container.second_factor.verify(
            data.mfa_token, data.code, request_context(request)
        )
        return TokensOut.of(pair)
