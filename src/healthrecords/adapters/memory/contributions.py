from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from healthrecords.domain.annotations import Annotation
from healthrecords.domain.records import Record


class MemoryContributions:
    def __init__(self, records: dict[UUID, Any], annotations: dict[UUID, Any]) -> None:
        self._records: dict[UUID, Record] = records
        self._annotations: dict[UUID, Annotation] = annotations

    async def contributed(self, person_id: UUID, patient_ids: Sequence[UUID]) -> bool:
        files = set(patient_ids)
        live = {
            r.id: r
            for r in self._records.values()
            if r.patient_id in files and r.deleted_at is None
        }
        return any(r.author_id == person_id for r in live.values()) or any(
            a.author_id == person_id and a.record_id in live for a in self._annotations.values()
        )
