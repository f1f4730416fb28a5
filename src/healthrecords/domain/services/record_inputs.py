"""What a caller asks of the record use cases, checked before any work starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from healthrecords.domain.errors import FieldError, InvalidInput
from healthrecords.domain.instants import instant_problem
from healthrecords.domain.records import CONTENT_MAX_BYTES, TITLE_MAX_CHARS, RecordType


@dataclass(frozen=True, slots=True, kw_only=True)
class NewRecord:
    title: str
    record_type: RecordType
    content: str
    recorded_at: datetime | None = None
    patient_id: UUID | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordChanges:
    title: str
    record_type: RecordType
    content: str
    recorded_at: datetime | None = None


def check_fields(title: str, content: str, recorded_at: datetime | None) -> None:
    errors: list[FieldError] = []
    if not title.strip() or len(title) > TITLE_MAX_CHARS:
        errors.append(FieldError("title", f"must be 1 to {TITLE_MAX_CHARS} characters"))
    if len(content.encode()) > CONTENT_MAX_BYTES:
        errors.append(FieldError("content", f"must be at most {CONTENT_MAX_BYTES} bytes"))
    problem = instant_problem(recorded_at) if recorded_at is not None else None
    if problem is not None:
        errors.append(FieldError("recorded_at", problem))
    if errors:
        raise InvalidInput("The record is not valid.", errors)
