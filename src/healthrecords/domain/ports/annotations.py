from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from healthrecords.domain.annotations import Annotation


class AnnotationRepository(Protocol):
    async def add(self, annotation: Annotation) -> None: ...

    async def list_for_record(self, record_id: UUID) -> Sequence[Annotation]: ...
