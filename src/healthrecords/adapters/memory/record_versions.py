from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from healthrecords.domain.records import RecordVersion


class MemoryRecordVersionRepository:
    def __init__(self, rows: dict[UUID, Any]) -> None:
        self._rows: dict[UUID, RecordVersion] = rows

    async def add(self, version: RecordVersion) -> None:
        self._rows[uuid4()] = version

    async def get(self, record_id: UUID, version: int) -> RecordVersion | None:
        return next(
            (v for v in self._rows.values() if (v.record_id, v.version) == (record_id, version)),
            None,
        )

    async def list(
        self, record_id: UUID, limit: int, before: int | None
    ) -> Sequence[RecordVersion]:
        found = [
            v
            for v in self._rows.values()
            if v.record_id == record_id and (before is None or v.version < before)
        ]
        found.sort(key=lambda v: v.version, reverse=True)
        return found[:limit]
