"""Transactional stand-in: works on copies of the tables, swaps them in on commit."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self
from uuid import UUID

from healthrecords.adapters.memory.annotations import MemoryAnnotationRepository
from healthrecords.adapters.memory.assignments import MemoryAssignmentRepository
from healthrecords.adapters.memory.audit import MemoryAuditLog
from healthrecords.adapters.memory.contributions import MemoryContributions
from healthrecords.adapters.memory.emergency_access import MemoryEmergencyAccessGrants
from healthrecords.adapters.memory.idempotency import MemoryIdempotencyKeys
from healthrecords.adapters.memory.notifications import MemoryNotificationRepository
from healthrecords.adapters.memory.password_resets import MemoryPasswordResets
from healthrecords.adapters.memory.patient_keys import MemoryPatientKeys
from healthrecords.adapters.memory.record_versions import MemoryRecordVersionRepository
from healthrecords.adapters.memory.records import MemoryRecordRepository
from healthrecords.adapters.memory.store import MemoryStore
from healthrecords.adapters.memory.tokens import MemoryRefreshTokenRepository
from healthrecords.adapters.memory.two_factor import (
    MemoryMfaChallenges,
    MemoryRecoveryCodes,
    MemoryTotpCredentials,
)
from healthrecords.adapters.memory.users import MemoryUserRepository

TABLES = (
    "users",
    "refresh_token_families",
    "refresh_tokens",
    "records",
    "record_versions",
    "assignments",
    "annotations",
    "notifications",
    "audit",
    "idempotency_keys",
    "totp",
    "recovery_codes",
    "mfa_challenges",
    "password_resets",
    "emergency_access",
)


class MemoryUnitOfWork:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.committed = 0

    async def __aenter__(self) -> Self:
        self._work: dict[str, dict[UUID, Any]] = {
            name: dict(self._store.table(name)) for name in TABLES
        }
        w = self._work
        self.users = MemoryUserRepository(w["users"])
        self.refresh_tokens = MemoryRefreshTokenRepository(
            w["refresh_token_families"], w["refresh_tokens"]
        )
        self.records = MemoryRecordRepository(w["records"], w["assignments"])
        self.record_versions = MemoryRecordVersionRepository(w["record_versions"])
        self.assignments = MemoryAssignmentRepository(w["assignments"])
        self.annotations = MemoryAnnotationRepository(w["annotations"])
        self.notifications = MemoryNotificationRepository(w["notifications"])
        self.audit = MemoryAuditLog(w["audit"])
        self.contributions = MemoryContributions(w["records"], w["annotations"])
        self.idempotency_keys = MemoryIdempotencyKeys(w["idempotency_keys"])
        self.totp = MemoryTotpCredentials(w["totp"])
        self.recovery_codes = MemoryRecoveryCodes(w["recovery_codes"])
        self.mfa_challenges = MemoryMfaChallenges(w["mfa_challenges"])
        self.password_resets = MemoryPasswordResets(w["password_resets"])
        self.emergency_access = MemoryEmergencyAccessGrants(w["emergency_access"])
        self.patient_keys = MemoryPatientKeys(
            w["users"], w["records"], w["record_versions"], w["annotations"]
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self._store.tables.update({name: dict(rows) for name, rows in self._work.items()})
        self.committed += 1

    async def rollback(self) -> None:
        # Repositories hold these dicts, so they are refilled in place.
        for name, rows in self._work.items():
            rows.clear()
            rows.update(self._store.table(name))
