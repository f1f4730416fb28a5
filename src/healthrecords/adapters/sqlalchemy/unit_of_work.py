"""One AsyncSession per unit of work; every repository shares it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.repositories.annotations import SqlAnnotationRepository
from healthrecords.adapters.sqlalchemy.repositories.assignments import SqlAssignmentRepository
from healthrecords.adapters.sqlalchemy.repositories.audit import SqlAuditLog
from healthrecords.adapters.sqlalchemy.repositories.notifications import (
    SqlNotificationRepository,
)
from healthrecords.adapters.sqlalchemy.repositories.records import SqlRecordRepository
from healthrecords.adapters.sqlalchemy.repositories.tokens import SqlRefreshTokenRepository
from healthrecords.adapters.sqlalchemy.repositories.users import SqlUserRepository
from healthrecords.domain.errors import Unavailable


class SqlUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], cipher: FieldCipher) -> None:
        self._sessions = sessions
        self._cipher = cipher

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.users = SqlUserRepository(self.session)
        self.refresh_tokens = SqlRefreshTokenRepository(self.session)
        self.records = SqlRecordRepository(self.session, self._cipher)
        self.assignments = SqlAssignmentRepository(self.session)
        self.annotations = SqlAnnotationRepository(self.session, self._cipher)
        self.notifications = SqlNotificationRepository(self.session)
        self.audit = SqlAuditLog(self.session)
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
        if isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError):
            raise Unavailable("The database is unreachable; try again shortly.") from exc

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
