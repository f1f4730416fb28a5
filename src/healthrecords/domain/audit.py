from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class Outcome(StrEnum):
    SUCCESS = "success"
    DENIED = "denied"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    """Append-only trail entry: who did what to which target, and how it ended."""

    id: UUID
    occurred_at: datetime
    actor_id: UUID | None
    actor_role: str | None
    action: str
    target_type: str
    target_id: UUID | None
    patient_id: UUID | None
    outcome: Outcome
    request_id: str
    client_address: str | None
