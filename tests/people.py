"""Users made straight in the database, for tests that are not about accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID, uuid4

import pyotp
from argon2 import PasswordHasher

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.tokens import RefreshTokenFamily
from healthrecords.domain.two_factor import TotpCredential
from healthrecords.domain.users import Role, User

# Cheapest parameters argon2 accepts: these tests are not about passwords.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@dataclass(frozen=True)
class SeededUser:
    __test__: ClassVar[bool] = False  # a helper, not a test class, despite its name

    id: UUID
    email: str
    password: str
    role: Role
    token: str
    # The session (refresh-token family) the token was minted under.
    session_id: UUID
    # Set when the account has two-factor on: compute codes with pyotp.
    totp_secret: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def seed_user(
    container: Container, role: Role = Role.PATIENT, full_name: str = "Test Person"
) -> SeededUser:
    """An active user that can sign in, with an access token already minted."""
    password = secrets.token_urlsafe(16)
    now = datetime.now(UTC)
    user = User(
        id=uuid4(),
        email=f"{role.value}-{secrets.token_hex(6)}@example.test",
        full_name=full_name,
        role=role,
        is_active=True,
        password_hash=_FAST_HASHER.hash(password),
        created_at=now,
        updated_at=now,
        # Roles that must use two-factor are seeded enrolled with an
        # authenticator secret the test can compute codes from.
        two_factor=role.value in container.settings.mfa_required_roles,
    )
    session = RefreshTokenFamily(id=uuid4(), user_id=user.id, created_at=now)
    secret = pyotp.random_base32(32) if user.two_factor else None
    async with container.uow() as uow:
        await uow.users.add(user)
        await uow.refresh_tokens.add_family(session)
        if secret is not None:
            await uow.totp.put(
                TotpCredential(
                    id=uuid4(), user_id=user.id, secret=secret, created_at=now, confirmed_at=now
                )
            )
        await uow.commit()
    token, _ = container.access_tokens.issue(user.id, role, session.id)
    return SeededUser(user.id, user.email, password, role, token, session.id, secret)


async def add_user(container: Container, role: Role) -> Actor:
    """An active user as the Actor that services take."""
    user = await seed_user(container, role)
    return Actor(id=user.id, role=role)
