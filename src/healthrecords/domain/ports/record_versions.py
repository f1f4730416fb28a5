from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from healthrecords.domain.records import RecordVersion


class RecordVersionRepository(Protocol):
    """Earlier versions of records, kept on every change; never updated or deleted.

    The current version lives in the record itself, so a record never changed
    has no rows here.
    """

    async def add(self, version: RecordVersion) -> None: ...

    async def get(self, record_id: UUID, version: int) -> RecordVersion | None: ...

    async def list(
        self, record_id: UUID, limit: int, before: int | None
    ) -> Sequence[RecordVersion]:
        """Newest first, versions strictly below `before` (all if None)."""
        ...
