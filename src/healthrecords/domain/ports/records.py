from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from healthrecords.domain.pagination import Cursor
from healthrecords.domain.records import FetchedPage, FetchedRecord, Record, RecordType


class RecordReads(Protocol):
    """What the read use cases (get, list) need: the lean read path implements
    only this (adapters/asyncpg); the full repository below includes it."""

    async def get(self, record_id: UUID) -> Record | None:
        """The record unless it is soft-deleted."""
        ...

    async def get_for_reader(self, record_id: UUID, reader_id: UUID) -> FetchedRecord | None:
        """`get` plus whether `reader_id` is actively assigned to its file, in one read."""
        ...

    async def list(
        self,
        patient_ids: Sequence[UUID],
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[Record]:
        """Newest first by (recorded_at, id), strictly after the cursor."""
        ...

    async def list_for_reader(
        self,
        patient_id: UUID,
        reader_id: UUID,
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> FetchedPage:
        """`list` of one file plus whether `reader_id` is actively assigned to
        it, in one read (the fact comes back with an empty page too)."""
        ...

    async def list_assigned(
        self,
        doctor_id: UUID,
        record_type: RecordType | None,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[Record]:
        """`list` over the files of the doctor's active assignments, read with
        the records (no list of file ids travels to the store and back)."""
        ...


class RecordWrites(Protocol):
    """What a create needs: the lean create path (adapters/asyncpg) implements
    only this; the full repository below includes it."""

    async def add(self, record: Record) -> None:
        """Stored with the unit of work; NotFound if the patient's file is gone."""
        ...


class RecordRepository(RecordReads, RecordWrites, Protocol):
    async def update(self, record: Record, expected_version: int) -> bool:
        """Store `record` if the stored version is still `expected_version`."""
        ...

    async def soft_delete(self, record_id: UUID, at: datetime) -> None: ...
