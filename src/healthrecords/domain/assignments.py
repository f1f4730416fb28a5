from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class Assignment:
    """A doctor's access to one patient's file, from creation until revoked."""

    id: UUID
    doctor_id: UUID
    patient_id: UUID
    assigned_by: UUID
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_by: UUID | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None
