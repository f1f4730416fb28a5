from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from healthrecords.domain.assignments import Assignment
from healthrecords.domain.pagination import Cursor
from healthrecords.domain.records import FetchedPage, FetchedRecord, Record, RecordType


class MemoryRecordRepository:
    def __init__(self, rows: dict[UUID, Any], assignments: dict[UUID, Any]) -> None:
        self._rows: dict[UUID, Record] = rows
        self._assignments: dict[UUID, Assignment] = assignments

    async def add(self, record: Record) -> None:
        self._rows[record.id] = record

    async def get(self, record_id: UUID) -> Record | None:
        record = self._rows.get(record_id)
        return record if record is not None and record.deleted_at is None else None

    async def get_for_reader(self, record_id: UUID, reader_id: UUID) -> FetchedRecord | None:
        if (record := await self.get(record_id)) is None:
            return None
        return FetchedRecord(record, self._assigned(reader_id, record.patient_id))

    def _assigned(self, doctor_id: UUID, patient_id: UUID) -> bool:
        return any(
            a.active and a.doctor_id == doctor_id and a.patient_id == patient_id
            for a in self._assignments.values()
        )

    async def list(
        self,
        patient_ids: Sequence[UUID],
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[Record]:
        found = [
            r
            for r in self._rows.values()
            if r.patient_id in patient_ids
            and r.deleted_at is None
            and (record_type is None or r.record_type == record_type)
            and (after is None or (r.recorded_at, r.id) < (after.at, after.id))
        ]
        found.sort(key=lambda r: (r.recorded_at, r.id), reverse=True)
        return found[:limit]

    async def list_for_reader(
        self,
        patient_id: UUID,
        reader_id: UUID,
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> FetchedPage:
        records = await self.list([patient_id], record_type, limit, after)
        return FetchedPage(records, self._assigned(reader_id, patient_id))

    async def list_assigned(
        self,
        doctor_id: UUID,
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[Record]:
        files = {
            a.patient_id
            for a in self._assignments.values()
            if a.active and a.doctor_id == doctor_id
        }
        return await self.list(list(files), record_type, limit, after)

    async def update(self, record: Record, expected_version: int) -> bool:
        stored = await self.get(record.id)
        if stored is None or stored.version != expected_version:
            return False
        self._rows[record.id] = record
        return True

    async def soft_delete(self, record_id: UUID, at: datetime) -> None:
        if (stored := await self.get(record_id)) is not None:
            self._rows[record_id] = dataclasses.replace(stored, deleted_at=at)
