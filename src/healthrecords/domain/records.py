from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

TITLE_MAX_CHARS = 200
CONTENT_MAX_BYTES = 64 * 1024


class RecordType(StrEnum):
    CONDITION = "condition"
    MEDICATION = "medication"
    ALLERGY = "allergy"
    LAB_RESULT = "lab_result"
    IMMUNIZATION = "immunization"
    PROCEDURE = "procedure"
    VITAL_SIGN = "vital_sign"
    NOTE = "note"


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    id: UUID
    patient_id: UUID
    author_id: UUID
    title: str
    record_type: RecordType
    content: str
    recorded_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int
    deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FetchedRecord:
    """A live record with the one fact its access rule needs about the reader,
    fetched together: whether the reader has an active assignment to the file."""

    record: Record
    reader_assigned: bool
