"""Emergency ("break-glass") access: a doctor's time-boxed, read-only look at a file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

REASON_MIN, REASON_MAX = 20, 500


@dataclass(frozen=True, slots=True, kw_only=True)
class EmergencyAccess:
    id: UUID
    doctor_id: UUID
    patient_id: UUID
    reason: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
    ended_by: UUID | None = None

    def active(self, now: datetime) -> bool:
        return self.ended_at is None and now < self.expires_at
