from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

RESET_MINUTES = 30
# Reset emails per account per clock hour; more requests answer the same 202
# and send nothing.
RESETS_PER_ACCOUNT_PER_HOUR = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordReset:
    """A one-time reset token, stored only as its SHA-256."""

    id: UUID
    user_id: UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    # The n-th reset (slot) of the account in this clock hour (hours since the epoch).
    hour: int
    slot: int
    used_at: datetime | None = None


def hour_of(at: datetime) -> int:
    return int(at.timestamp()) // 3600
