from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from healthrecords.domain.annotations import Annotation
from healthrecords.domain.pagination import Cursor


class AnnotationRepository(Protocol):
    async def add(self, annotation: Annotation) -> None: ...

    async def list_for_record(self, record_id: UUID) -> Sequence[Annotation]: ...

    async def list_for_records(self, record_ids: Sequence[UUID]) -> Sequence[Annotation]:
        """The annotations of all these records (one read), oldest first by (created_at, id)."""
        ...

    async def list_page(
        self, record_id: UUID, limit: int, after: Cursor | None
    ) -> Sequence[Annotation]:
        """Oldest first by (created_at, id), strictly after the cursor."""
        ...
