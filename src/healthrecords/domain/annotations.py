from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

BODY_MAX_CHARS = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Annotation:
    id: UUID
    record_id: UUID
    patient_id: UUID
    author_id: UUID
    body: str
    created_at: datetime
