"""One AsyncSession per unit of work; every repository shares it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.outage import DatabaseOutage
from healthrecords.adapters.sqlalchemy.repositories.annotations import SqlAnnotationRepository
from healthrecords.adapters.sqlalchemy.repositories.assignments import SqlAssignmentRepository
from healthrecords.adapters.sqlalchemy.repositories.audit import SqlAuditLog
from healthrecords.adapters.sqlalchemy.repositories.contributions import SqlContributions
from healthrecords.adapters.sqlalchemy.repositories.data_keys import SqlDataKeys
from healthrecords.adapters.sqlalchemy.repositories.emergency_access import (
    SqlEmergencyAccessGrants,
)
from healthrecords.adapters.sqlalchemy.repositories.file_erasure import SqlPatientKeys
from healthrecords.adapters.sqlalchemy.repositories.idempotency import SqlIdempotencyKeys
from healthrecords.adapters.sqlalchemy.repositories.notifications import (
    SqlNotificationRepository,
)
from healthrecords.adapters.sqlalchemy.repositories.password_resets import SqlPasswordResets
from healthrecords.adapters.sqlalchemy.repositories.record_versions import (
    SqlRecordVersionRepository,
)
from healthrecords.adapters.sqlalchemy.repositories.records import SqlRecordRepository
from healthrecords.adapters.sqlalchemy.repositories.tokens import SqlRefreshTokenRepository
from healthrecords.adapters.sqlalchemy.repositories.two_factor import (
    SqlMfaChallenges,
    SqlRecoveryCodes,
    SqlTotpCredentials,
)
from healthrecords.adapters.sqlalchemy.repositories.users import SqlUserRepository
from healthrecords.adapters.sqlalchemy.sqlstates import cannot_serve_now
from healthrecords.domain.errors import InvalidInput, Unavailable
from healthrecords.domain.ports.annotations import AnnotationRepository
from healthrecords.domain.ports.assignments import AssignmentRepository
from healthrecords.domain.ports.audit import AuditLog
from healthrecords.domain.ports.contributions import Contributions
from healthrecords.domain.ports.emergency_access import EmergencyAccessGrants
from healthrecords.domain.ports.idempotency import IdempotencyKeys
from healthrecords.domain.ports.notifications import NotificationRepository
from healthrecords.domain.ports.password_resets import PasswordResets
from healthrecords.domain.ports.patient_keys import PatientKeys
from healthrecords.domain.ports.record_versions import RecordVersionRepository
from healthrecords.domain.ports.records import RecordRepository
from healthrecords.domain.ports.tokens import RefreshTokenRepository
from healthrecords.domain.ports.two_factor import MfaChallenges, RecoveryCodes, TotpCredentials
from healthrecords.domain.ports.users import UserRepository


def database_unreachable(exc: BaseException) -> bool:
    """True for a lost or refused connection, a connect timeout, an exhausted
    pool, or a server that says it cannot serve now (see sqlstates.py).

    Seen here with asyncpg: a refused or reset connect raises the bare OSError,
    a connection lost mid-query a generic DBAPIError marked invalidated, a
    partition the builtin TimeoutError, a pool wait SQLAlchemy's TimeoutError,
    a server in recovery a generic DBAPIError with SQLSTATE 57P03.
    """
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if cannot_serve_now(exc):
        return True
    return isinstance(exc, OperationalError | InterfaceError | PoolTimeout | OSError | TimeoutError)


UNSTORABLE = "A value in the request cannot be stored (a NUL character?)."


def value_refused(exc: BaseException) -> bool:
    """PostgreSQL refused a value the validators let through (SQLSTATE class 22,
    such as a NUL character in text); asyncpg's arrive as a generic DBAPIError."""
    if isinstance(exc, DataError):
        return True
    if isinstance(exc, DBAPIError):
        return str(getattr(exc.orig, "sqlstate", "") or "").startswith("22")
    return False


class SqlUnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cipher: FieldCipher,
        outage: DatabaseOutage | None = None,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._outage = outage or DatabaseOutage()

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.users: UserRepository = SqlUserRepository(self.session)
        self.refresh_tokens: RefreshTokenRepository = SqlRefreshTokenRepository(self.session)
        keys = SqlDataKeys(self.session, self._cipher.data_keys)
        self.records: RecordRepository = SqlRecordRepository(self.session, self._cipher, keys)
        self.record_versions: RecordVersionRepository = SqlRecordVersionRepository(
            self.session, self._cipher, keys
        )
        self.assignments: AssignmentRepository = SqlAssignmentRepository(self.session)
        self.annotations: AnnotationRepository = SqlAnnotationRepository(
            self.session, self._cipher, keys
        )
        self.notifications: NotificationRepository = SqlNotificationRepository(self.session)
        self.audit: AuditLog = SqlAuditLog(self.session)
        self.contributions: Contributions = SqlContributions(self.session)
        self.idempotency_keys: IdempotencyKeys = SqlIdempotencyKeys(self.session, self._cipher)
        self.totp: TotpCredentials = SqlTotpCredentials(self.session, self._cipher)
        self.recovery_codes: RecoveryCodes = SqlRecoveryCodes(self.session)
        self.mfa_challenges: MfaChallenges = SqlMfaChallenges(self.session)
        self.password_resets: PasswordResets = SqlPasswordResets(self.session)
        self.patient_keys: PatientKeys = SqlPatientKeys(self.session)
        self.emergency_access: EmergencyAccessGrants = SqlEmergencyAccessGrants(
            self.session, self._cipher, keys
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()
            await self.session.close()
        except (OSError, DBAPIError):
            await self.session.invalidate()
        if exc is not None and database_unreachable(exc):
            self._outage.failed(exc)
            raise Unavailable("The database is unreachable; try again shortly.") from exc
        self._outage.succeeded()
        if exc is not None and value_refused(exc):
            raise InvalidInput(UNSTORABLE) from exc

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
