from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from healthrecords.domain.assignments import Assignment
from healthrecords.domain.errors import Conflict
from healthrecords.domain.pagination import Cursor


class MemoryAssignmentRepository:
    def __init__(self, rows: dict[UUID, Any]) -> None:
        self._rows: dict[UUID, Assignment] = rows

    async def add(self, assignment: Assignment) -> None:
        if await self.get_active(assignment.doctor_id, assignment.patient_id):
            raise Conflict("This doctor is already assigned to this patient.")
        self._rows[assignment.id] = assignment

    async def assigned_files(self, doctor_id: UUID) -> Sequence[UUID]:
        return sorted(
            {a.patient_id for a in self._rows.values() if a.active and a.doctor_id == doctor_id}
        )

    async def get(self, assignment_id: UUID) -> Assignment | None:
        return self._rows.get(assignment_id)

    async def get_active(self, doctor_id: UUID, patient_id: UUID) -> Assignment | None:
        return next(
            (
                a
                for a in self._rows.values()
                if a.active and a.doctor_id == doctor_id and a.patient_id == patient_id
            ),
            None,
        )

    async def list(
        self,
        doctor_id: UUID | None = None,
        patient_id: UUID | None = None,
        active_only: bool = True,
    ) -> Sequence[Assignment]:
        found = [
            a
            for a in self._rows.values()
            if (doctor_id is None or a.doctor_id == doctor_id)
            and (patient_id is None or a.patient_id == patient_id)
            and (a.active or not active_only)
        ]
        return sorted(found, key=lambda a: (a.created_at, a.id), reverse=True)

    async def list_page(
        self,
        *,
        doctor_id: UUID | None,
        patient_id: UUID | None,
        active_only: bool,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[Assignment]:
        found = [
            a
            for a in await self.list(doctor_id, patient_id, active_only)
            if after is None or (a.created_at, a.id) < (after.at, after.id)
        ]
        return found[:limit]

    async def revoke(self, assignment_id: UUID, at: datetime, by: UUID) -> bool:
        stored = self._rows.get(assignment_id)
        if stored is None or not stored.active:
            return False
        self._rows[assignment_id] = dataclasses.replace(stored, revoked_at=at, revoked_by=by)
        return True
