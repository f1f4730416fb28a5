from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from healthrecords.domain.emergency import EmergencyAccess
from healthrecords.domain.pagination import Cursor


class MemoryEmergencyAccessGrants:
    def __init__(self, rows: dict[UUID, EmergencyAccess]) -> None:
        self._rows = rows

    async def opened_since(self, doctor_id: UUID, since: datetime) -> Sequence[datetime]:
        return sorted(
            g.created_at
            for g in self._rows.values()
            if g.doctor_id == doctor_id and g.created_at > since
        )

    async def add(self, grant: EmergencyAccess) -> None:
        self._rows[grant.id] = grant

    async def get(self, grant_id: UUID) -> EmergencyAccess | None:
        return self._rows.get(grant_id)

    async def list_page(self, limit: int, after: Cursor | None) -> Sequence[EmergencyAccess]:
        grants = sorted(self._rows.values(), key=lambda g: (g.created_at, g.id), reverse=True)
        if after is not None:
            grants = [g for g in grants if (g.created_at, g.id) < (after.at, after.id)]
        return grants[:limit]

    async def end(self, grant_id: UUID, at: datetime, by: UUID) -> bool:
        grant = self._rows.get(grant_id)
        if grant is None or grant.ended_at is not None:
            return False
        self._rows[grant_id] = dataclasses.replace(grant, ended_at=at, ended_by=by)
        return True
