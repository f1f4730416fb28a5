"""In memory there is no ciphertext: erasure drops the file's health data itself."""

from __future__ import annotations

from typing import Any
from uuid import UUID


class MemoryPatientKeys:
    def __init__(self, users: dict[UUID, Any], *files: dict[Any, Any]) -> None:
        self._users = users
        self._files = files

    async def destroy(self, patient_id: UUID) -> bool:
        user = self._users.get(patient_id)
        if user is None or user.erased_at is not None:
            return False
        for rows in self._files:
            for key in [k for k, row in rows.items() if row.patient_id == patient_id]:
                del rows[key]
        return True
