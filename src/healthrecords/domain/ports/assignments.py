from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from healthrecords.domain.assignments import Assignment
from healthrecords.domain.pagination import Cursor


class AssignmentFacts(Protocol):
    """The assignment facts the access policy reads on every request."""

    async def get_active(self, doctor_id: UUID, patient_id: UUID) -> Assignment | None: ...

    async def assigned_files(self, doctor_id: UUID) -> Sequence[UUID]:
        """The patient ids of the doctor's active assignments, in id order."""
        ...


class AssignmentRepository(AssignmentFacts, Protocol):
    async def add(self, assignment: Assignment) -> None:
        """Store a new active assignment; Conflict if one is already active."""
        ...

    async def get(self, assignment_id: UUID) -> Assignment | None: ...

    async def list(
        self,
        doctor_id: UUID | None = None,
        patient_id: UUID | None = None,
        active_only: bool = True,
    ) -> Sequence[Assignment]: ...

    async def list_page(
        self,
        *,
        doctor_id: UUID | None,
        patient_id: UUID | None,
        active_only: bool,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[Assignment]:
        """Newest first by (created_at, id), strictly after the cursor."""
        ...

    async def revoke(self, assignment_id: UUID, at: datetime, by: UUID) -> bool:
        """Revoke if still active; True only for the caller that revoked it."""
        ...
