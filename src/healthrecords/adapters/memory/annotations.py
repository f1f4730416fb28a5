from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from healthrecords.domain.annotations import Annotation
from healthrecords.domain.pagination import Cursor


class MemoryAnnotationRepository:
    def __init__(self, rows: dict[UUID, Any]) -> None:
        self._rows: dict[UUID, Annotation] = rows

    async def add(self, annotation: Annotation) -> None:
        self._rows[annotation.id] = annotation

    async def list_for_record(self, record_id: UUID) -> Sequence[Annotation]:
        found = [a for a in self._rows.values() if a.record_id == record_id]
        return sorted(found, key=lambda a: (a.created_at, a.id))

    async def list_for_records(self, record_ids: Sequence[UUID]) -> Sequence[Annotation]:
        wanted = set(record_ids)
        found = [a for a in self._rows.values() if a.record_id in wanted]
        return sorted(found, key=lambda a: (a.created_at, a.id))

    async def list_page(
        self, record_id: UUID, limit: int, after: Cursor | None
    ) -> Sequence[Annotation]:
        found = [
            a
            for a in await self.list_for_record(record_id)
            if after is None or (a.created_at, a.id) > (after.at, after.id)
        ]
        return found[:limit]
