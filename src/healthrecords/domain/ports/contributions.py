from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID


class Contributions(Protocol):
    """Who wrote something in which patient files."""

    async def contributed(self, person_id: UUID, patient_ids: Sequence[UUID]) -> bool:
        """Did `person_id` author, or annotate, a live record in one of these files?"""
        ...
