from __future__ import annotations

from typing import Protocol
from uuid import UUID


class PatientKeys(Protocol):
    """The keys a patient's file is sealed under."""

    async def destroy(self, patient_id: UUID) -> bool:
        """Make every record, version and annotation of the file unreadable for
        good (crypto-shredding), holding the account against concurrent writes
        until the unit of work ends. False, and nothing changed, if the account
        is not there or was already erased."""
        ...
