"""Response bodies of a record's versions (/api/records/{id}/versions/)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from healthrecords.domain.records import RecordType, RecordVersion


class RecordVersionOut(msgspec.Struct):
    version: int
    title: str
    record_type: RecordType
    content: str
    recorded_at: datetime
    updated_at: datetime
    updated_by: UUID

    @classmethod
    def of(cls, v: RecordVersion) -> RecordVersionOut:
        return cls(
            v.version, v.title, v.record_type, v.content, v.recorded_at, v.updated_at, v.updated_by
        )


class RecordVersionPage(msgspec.Struct):
    items: list[RecordVersionOut]
    next_cursor: str | None
