from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshTokenFamily:
    """Every refresh token descended from one login; revoked as a whole."""

    id: UUID
    user_id: UUID
    created_at: datetime
    revoked_at: datetime | None = None


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
