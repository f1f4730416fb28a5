"""Request and response bodies of the account and auth routes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from healthrecords.domain.services.token_issuer import TokenPair
from healthrecords.domain.users import Role, User


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str
    full_name: str
    role: str


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str


class RefreshTokenIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: str


class ActivationIn(msgspec.Struct, forbid_unknown_fields=True):
    """PATCH /api/users/{id}/: either field or both; an empty body is refused."""

    is_active: bool | msgspec.UnsetType = msgspec.UNSET
    verified: bool | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if self.is_active is msgspec.UNSET and self.verified is msgspec.UNSET:
            raise ValueError("name is_active, verified or both")


class TokensOut(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int

    @classmethod
    def of(cls, pair: TokenPair) -> TokensOut:
        return cls(pair.access_token, pair.refresh_token, pair.token_type, pair.expires_in)


class UserOut(msgspec.Struct):
    id: UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    created_at: datetime
    verified: bool

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            user.id,
            user.email,
            user.full_name,
            user.role,
            user.is_active,
            user.created_at,
            user.verified,
        )


class UserPage(msgspec.Struct):
    items: list[UserOut]
    next_cursor: str | None


class DoctorOut(msgspec.Struct):
    id: UUID
    full_name: str
    # Checked by an admin; patients can tell before granting access.
    verified: bool


class DoctorPage(msgspec.Struct):
    items: list[DoctorOut]
    next_cursor: str | None
