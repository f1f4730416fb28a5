from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from healthrecords.domain.ports.annotations import AnnotationRepository
from healthrecords.domain.ports.assignments import AssignmentFacts, AssignmentRepository
from healthrecords.domain.ports.audit import AuditLog, AuditTrail
from healthrecords.domain.ports.contributions import Contributions
from healthrecords.domain.ports.emergency_access import EmergencyAccessGrants
from healthrecords.domain.ports.idempotency import IdempotencyKeys
from healthrecords.domain.ports.notifications import NotificationRepository
from healthrecords.domain.ports.password_resets import PasswordResets
from healthrecords.domain.ports.patient_keys import PatientKeys
from healthrecords.domain.ports.record_versions import RecordVersionRepository
from healthrecords.domain.ports.records import RecordReads, RecordRepository, RecordWrites
from healthrecords.domain.ports.tokens import RefreshTokenRepository
from healthrecords.domain.ports.two_factor import MfaChallenges, RecoveryCodes, TotpCredentials
from healthrecords.domain.ports.users import UserRepository


class ScopedWork(Protocol):
    """Opened with `async with`; left without commit, rolled back."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class UnitOfWork(ScopedWork, Protocol):
    """One transaction over every repository; rolled back unless committed."""

    users: UserRepository
    refresh_tokens: RefreshTokenRepository
    records: RecordRepository
    record_versions: RecordVersionRepository
    assignments: AssignmentRepository
    annotations: AnnotationRepository
    notifications: NotificationRepository
    audit: AuditLog
    contributions: Contributions
    idempotency_keys: IdempotencyKeys
    totp: TotpCredentials
    recovery_codes: RecoveryCodes
    mfa_challenges: MfaChallenges
    password_resets: PasswordResets
    patient_keys: PatientKeys
    emergency_access: EmergencyAccessGrants

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class AuditedWork(Protocol):
    """What denying an attempt needs: drop the work, append to the trail, commit."""

    @property
    def audit(self) -> AuditTrail: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class ReadWork(AuditedWork, ScopedWork, Protocol):
    """The read use cases' work: facts and records read, then the audit row
    written. Any UnitOfWork is one; the lean read path (adapters/asyncpg) is
    only this. A read returns its data only once its audit row is committed."""

    @property
    def records(self) -> RecordReads: ...

    @property
    def assignments(self) -> AssignmentFacts: ...


ReadWorkFactory = Callable[[], ReadWork]


class CreateWork(AuditedWork, ScopedWork, Protocol):
    """A create that notifies nobody and remembers no Idempotency-Key: the
    record and its audit row, stored together or not at all. Any UnitOfWork is
    one; the lean create path (adapters/asyncpg) sends both in one statement."""

    @property
    def records(self) -> RecordWrites: ...

    @property
    def assignments(self) -> AssignmentFacts: ...


CreateWorkFactory = Callable[[], CreateWork]
