from __future__ import annotations

from collections.abc import Sequence
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
    # Who made the current version; None only on Records built before it existed.
    updated_by: UUID | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordVersion:
    """One stored state of a record: the current one, or an earlier one kept on change."""

    record_id: UUID
    patient_id: UUID
    version: int
    title: str
    record_type: RecordType
    content: str
    recorded_at: datetime
    updated_at: datetime
    updated_by: UUID

    @classmethod
    def of(cls, record: Record) -> RecordVersion:
        return cls(
            record_id=record.id,
            patient_id=record.patient_id,
            version=record.version,
            title=record.title,
            record_type=record.record_type,
            content=record.content,
            recorded_at=record.recorded_at,
            updated_at=record.updated_at,
            updated_by=record.updated_by or record.author_id,
        )


@dataclass(frozen=True, slots=True)
class FetchedRecord:
    """A live record with the one fact its access rule needs about the reader,
    fetched together: whether the reader has an active assignment to the file."""

    record: Record
    reader_assigned: bool


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A page of one file's live records with the fact its access rule needs
    about the reader, fetched together (also for an empty page): whether the
    reader has an active assignment to the file."""

    records: Sequence[Record]
    reader_assigned: bool
