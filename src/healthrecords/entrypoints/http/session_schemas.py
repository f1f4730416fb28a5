"""Bodies of the session, password and two-factor routes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from healthrecords.domain.services.second_factor import SecondFactorDue
from healthrecords.domain.services.sessions import SessionView


class PasswordChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    current_password: str
    new_password: str


class SessionOut(msgspec.Struct):
    id: UUID
    created_at: datetime
    last_used_at: datetime
    client_address: str | None
    user_agent: str | None
    # The session the request's access token belongs to.
    current: bool

    @classmethod
    def of(cls, view: SessionView) -> SessionOut:
        s = view.session
        return cls(s.id, s.created_at, s.active_at, s.client_address, s.user_agent, view.current)


class SessionPage(msgspec.Struct):
    items: list[SessionOut]
    next_cursor: str | None


class MfaRequiredOut(msgspec.Struct):
    """A right password for an account with two-factor on: answer the challenge."""

    mfa_required: bool
    mfa_token: str
    expires_in: int

    @classmethod
    def of(cls, due: SecondFactorDue) -> MfaRequiredOut:
        return cls(True, due.mfa_token, due.expires_in)


class MfaVerifyIn(msgspec.Struct, forbid_unknown_fields=True):
    mfa_token: str
    # A 6-digit TOTP code or a recovery code.
    code: str


class TotpEnrolmentOut(msgspec.Struct):
    secret: str
    otpauth_uri: str


class TotpConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str


class RecoveryCodesOut(msgspec.Struct):
    # Shown once; each signs in once in place of a TOTP code.
    recovery_codes: list[str]


class TotpDisableIn(msgspec.Struct, forbid_unknown_fields=True):
    password: str
    code: str


class PasswordResetIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str


class ResetRequestedOut(msgspec.Struct):
    """The same answer whether or not the account exists."""

    detail: str = "If an account has this email, its owner will receive a reset token."


class PasswordResetConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    token: str
    new_password: str
