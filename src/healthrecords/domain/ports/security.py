from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from healthrecords.domain.users import Role


class PasswordHasher(Protocol):
    """Slow, salted hashing; implementations keep it off the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessClaims:
    subject: UUID
    role: Role
    session_id: UUID
    token_id: str
    issued_at: datetime
    expires_at: datetime


class AccessTokenCodec(Protocol):
    def issue(self, subject: UUID, role: Role, session_id: UUID) -> tuple[str, AccessClaims]: ...

    def verify(self, token: str) -> AccessClaims:
        """Raises AuthenticationFailed for any token that is not valid now."""
        ...
