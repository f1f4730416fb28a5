from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshTokenFamily:
    """Every refresh token descended from one login; revoked as a whole.

    A family is what the user sees as a session: its id is the `sid` claim of
    every access token issued under it.
    """

    id: UUID
    user_id: UUID
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    client_address: str | None = None
    user_agent: str | None = None

    @property
    def active_at(self) -> datetime:
        """When the session was last used: its login or latest refresh."""
        return self.last_used_at or self.created_at


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshToken:
    """Stored only as a hash of the opaque token the client holds."""

    id: UUID
    family_id: UUID
    user_id: UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    spent_at: datetime | None = None
