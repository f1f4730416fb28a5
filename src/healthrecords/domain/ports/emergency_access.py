from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from healthrecords.domain.emergency import EmergencyAccess
from healthrecords.domain.pagination import Cursor


class EmergencyAccessGrants(Protocol):
    async def opened_since(self, doctor_id: UUID, since: datetime) -> Sequence[datetime]:
        """When the doctor opened grants since `since`, oldest first. Holds the
        doctor's account until the unit of work ends, so concurrent openings by
        one doctor are counted one after the other (call it first)."""
        ...

    async def add(self, grant: EmergencyAccess) -> None: ...

    async def get(self, grant_id: UUID) -> EmergencyAccess | None:
        """None also when the file it opened was erased."""
        ...

    async def list_page(self, limit: int, after: Cursor | None) -> Sequence[EmergencyAccess]:
        """Newest first by (created_at, id), strictly after the cursor."""
        ...

    async def end(self, grant_id: UUID, at: datetime, by: UUID) -> bool:
        """End it if not ended yet; True only for the caller that ended it."""
        ...
