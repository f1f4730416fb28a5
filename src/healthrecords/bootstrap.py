"""The composition root: settings -> adapters -> services.

The only module that knows every concrete adapter. The HTTP app, the SAQ
worker and the CLI all build their dependencies through `build_container`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from redis.asyncio import BlockingConnectionPool, Redis
from saq.queue.redis import RedisQueue
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from healthrecords.adapters.asyncpg.lean_path import LeanPath
from healthrecords.adapters.asyncpg.pool import DirectPool
from healthrecords.adapters.channels.publisher import ChannelsNotificationPublisher
from healthrecords.adapters.channels.redis_backend import ResilientRedisPubSubBackend
from healthrecords.adapters.channels.subscriber import BoundedSubscriber
from healthrecords.adapters.mail.outbox import OutboxMailer
from healthrecords.adapters.mail.smtp import SmtpMailer, SmtpServer
from healthrecords.adapters.memory.login_attempts import MemoryLoginAttemptLimiter
from healthrecords.adapters.memory.mail_queue import InProcessMailQueue
from healthrecords.adapters.memory.notification_queue import InProcessNotificationQueue
from healthrecords.adapters.redis.login_attempts import RedisLoginAttemptLimiter
from healthrecords.adapters.redis.mail_queue import SaqMailQueue
from healthrecords.adapters.redis.notification_queue import SaqNotificationQueue, saq_queue
from healthrecords.adapters.redis.readiness import redis_accepts_writes
from healthrecords.adapters.security.argon2_hasher import Argon2PasswordHasher
from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.security.clock import SystemClock
from healthrecords.adapters.security.jwt_codec import JwtAccessTokenCodec
from healthrecords.adapters.security.totp import PyotpTotp
from healthrecords.adapters.sqlalchemy.engine import create_engine, create_session_factory
from healthrecords.adapters.sqlalchemy.key_rotation import RotationReport, rotate_keys
from healthrecords.adapters.sqlalchemy.master_key_check import (
    MasterKeyMissing,
    verify_master_keys,
)
from healthrecords.adapters.sqlalchemy.outage import DatabaseOutage
from healthrecords.adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from healthrecords.config import Settings
from healthrecords.domain.login_limits import LoginLimits
from healthrecords.domain.passwords import PasswordPolicy
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.login_attempts import LoginAttemptLimiter
from healthrecords.domain.ports.mail import Mailer, MailQueue
from healthrecords.domain.ports.notifications import NotificationPublisher, NotificationQueue
from healthrecords.domain.ports.security import PasswordHasher
from healthrecords.domain.ports.unit_of_work import CreateWork, ReadWork, UnitOfWork
from healthrecords.domain.services.accounts import AccountService
from healthrecords.domain.services.annotations import AnnotationService
from healthrecords.domain.services.assignments import AssignmentService
from healthrecords.domain.services.audit import AuditService
from healthrecords.domain.services.auth import AuthService
from healthrecords.domain.services.emergency_access import (
    EmergencyAccessService,
    EmergencyRules,
)
from healthrecords.domain.services.erasure import ErasureService
from healthrecords.domain.services.idempotent import ExpiredKeys
from healthrecords.domain.services.notifications import NotificationService
from healthrecords.domain.services.password_change import PasswordChangeService
from healthrecords.domain.services.password_reset import PasswordResetService
from healthrecords.domain.services.patient_files import PatientFileService
from healthrecords.domain.services.record_history import RecordHistoryService
from healthrecords.domain.services.records import RecordService
from healthrecords.domain.services.second_factor import SecondFactorService
from healthrecords.domain.services.sessions import SessionService
from healthrecords.domain.services.token_issuer import TokenIssuer
from healthrecords.domain.services.two_factor import TwoFactorService
from healthrecords.domain.services.verification import VerificationService
from healthrecords.domain.users import Role

ReadinessCheck = Callable[[], Awaitable[None]]

log = logging.getLogger(__name__)


@dataclass
class Container:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cipher: FieldCipher
    access_tokens: JwtAccessTokenCodec
    notification_queue: NotificationQueue = field(default_factory=InProcessNotificationQueue)
    redis: Redis | None = None
    readiness: dict[str, ReadinessCheck] = field(default_factory=dict)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Notifications: fan-out to sockets, the publisher the deliverer uses, the
    # SAQ queue (production) and what the app must start and stop with it.
    channels: ChannelsPlugin | None = None
    notification_publisher: NotificationPublisher | None = None
    saq_queue: RedisQueue | None = None
    lifespans: list[AbstractAsyncContextManager[Any]] = field(default_factory=list)
    # Sessions whose statements each commit on their own (PostgreSQL only).
    statement_sessions: async_sessionmaker[AsyncSession] | None = None
    # The lean path's own asyncpg pool (PostgreSQL, unless turned off).
    direct_pool: DirectPool | None = None
    database_outage: DatabaseOutage = field(default_factory=DatabaseOutage)

    def uow(self) -> UnitOfWork:
        return SqlUnitOfWork(self.sessions, self.cipher, self.database_outage)

    def statement_uow(self) -> UnitOfWork:
        """For use cases that read and then write one statement (the audit row)."""
        return SqlUnitOfWork(
            self.statement_sessions or self.sessions, self.cipher, self.database_outage
        )

    @cached_property
    def _lean(self) -> LeanPath | None:
        return LeanPath(self.direct_pool, self.cipher) if self.direct_pool else None

    def read_work(self) -> ReadWork:
        """Record get and list: asyncpg directly on PostgreSQL, else statement_uow."""
        return self._lean.read_work() if self._lean else self.statement_uow()

    def create_work(self) -> CreateWork:
        """A create that writes only its record and audit row: asyncpg
        directly on PostgreSQL, else the unit of work."""
        return self._lean.create_work() if self._lean else self.uow()

    @cached_property
    def password_hasher(self) -> PasswordHasher:
        s = self.settings
        return Argon2PasswordHasher(s.argon2_memory_kib, s.argon2_time_cost, s.argon2_parallelism)

    @cached_property
    def mailer(self) -> Mailer:
        s = self.settings
        if s.smtp_url:
            return SmtpMailer(SmtpServer.parse(s.smtp_url), s.mail_from)
        return OutboxMailer(s.data_dir / "outbox", s.mail_from)

    @cached_property
    def mail_queue(self) -> MailQueue:
        """SAQ (the worker sends, with retries) in production; in-process embedded."""
        if self.saq_queue is not None:
            return SaqMailQueue(self.saq_queue, self.cipher)
        queue = InProcessMailQueue(self.mailer)
        self.closers.append(queue.aclose)
        return queue

    @cached_property
    def login_attempts(self) -> LoginAttemptLimiter:
        s = self.settings
        limits = LoginLimits(
            per_address=s.login_max_failures,
            window_seconds=s.login_failure_window,
            per_account=s.login_account_max_failures,
            account_window_seconds=s.login_account_window,
        )
        if self.redis is not None:
            return RedisLoginAttemptLimiter(self.redis, s.redis_namespace, self.clock, limits)
        return MemoryLoginAttemptLimiter(self.clock, limits)

    @cached_property
    def accounts(self) -> AccountService:
        return AccountService(self.uow, self.password_hasher, self.clock, PasswordPolicy.default())

    @cached_property
    def auth(self) -> AuthService:
        return AuthService(
            uow=self.uow,
            hasher=self.password_hasher,
            access_tokens=self.access_tokens,
            clock=self.clock,
            attempts=self.login_attempts,
            refresh_ttl=timedelta(seconds=self.settings.refresh_token_ttl),
        )

    @cached_property
    def second_factor(self) -> SecondFactorService:
        return SecondFactorService(
            uow=self.uow,
            clock=self.clock,
            totp=PyotpTotp(),
            attempts=self.login_attempts,
            tokens=TokenIssuer(
                self.access_tokens, timedelta(seconds=self.settings.refresh_token_ttl)
            ),
        )

    @cached_property
    def two_factor(self) -> TwoFactorService:
        return TwoFactorService(
            uow=self.uow,
            clock=self.clock,
            totp=PyotpTotp(),
            hasher=self.password_hasher,
            attempts=self.login_attempts,
            issuer=self.settings.jwt_issuer,
            mail=self.mail_queue,
        )

    @cached_property
    def password_change(self) -> PasswordChangeService:
        return PasswordChangeService(
            uow=self.uow,
            hasher=self.password_hasher,
            clock=self.clock,
            policy=PasswordPolicy.default(),
            attempts=self.login_attempts,
            mail=self.mail_queue,
        )

    @cached_property
    def password_reset(self) -> PasswordResetService:
        return PasswordResetService(
            uow=self.uow,
            hasher=self.password_hasher,
            clock=self.clock,
            policy=PasswordPolicy.default(),
            mail=self.mail_queue,
        )

    @cached_property
    def user_sessions(self) -> SessionService:
        s = self.settings
        return SessionService(
            self.uow,
            self.clock,
            timedelta(seconds=s.refresh_token_ttl),
            frozenset(Role(r) for r in s.mfa_required_roles),
        )

    @cached_property
    def records(self) -> RecordService:
        return RecordService(
            self.uow,
            self.clock,
            self.notification_queue,
            reads=self.read_work,
            creates=self.create_work,
        )

    @cached_property
    def patient_files(self) -> PatientFileService:
        return PatientFileService(self.statement_uow, self.clock)

    @cached_property
    def verification(self) -> VerificationService:
        return VerificationService(self.uow, self.clock)

    @cached_property
    def record_history(self) -> RecordHistoryService:
        return RecordHistoryService(self.uow, self.clock)

    @cached_property
    def assignments(self) -> AssignmentService:
        return AssignmentService(self.uow, self.clock, self.notification_queue)

    @cached_property
    def emergency_access(self) -> EmergencyAccessService:
        rules = EmergencyRules(
            self.settings.emergency_access_minutes, self.settings.emergency_access_daily_limit
        )
        return EmergencyAccessService(self.uow, self.clock, self.notification_queue, rules)

    @cached_property
    def erasure(self) -> ErasureService:
        return ErasureService(
            self.uow,
            self.password_hasher,
            self.clock,
            self.notification_queue,
            PyotpTotp(),
            self.login_attempts,
        )

    @cached_property
    def annotations(self) -> AnnotationService:
        return AnnotationService(self.uow, self.clock, self.notification_queue)

    @cached_property
    def expired_keys(self) -> ExpiredKeys:
        return ExpiredKeys(self.uow, self.clock)

    @cached_property
    def audit(self) -> AuditService:
        return AuditService(self.uow, self.clock)

    async def verify_master_keys(self) -> None:
        try:
            await verify_master_keys(self.sessions, self.cipher.data_keys)
        except MasterKeyMissing:
            raise
        except Exception:  # the database may be down or not migrated yet
            # Start anyway (/ready tells); each read still checks its own key.
            log.warning("master keys not checked at start-up: database not ready")

    async def rotate_encryption_keys(
        self, batch_size: int = 500, data_keys_before: datetime | None = None
    ) -> RotationReport:
        return await rotate_keys(self.sessions, self.cipher, batch_size, data_keys_before)

    @cached_property
    def notifications(self) -> NotificationService:
        assert self.notification_publisher is not None, "set by build_container"
        return NotificationService(
            self.uow,
            self.clock,
            self.notification_publisher,
            self.notification_queue,
            reads=self.statement_uow,
        )

    async def aclose(self) -> None:
        for close in reversed(self.closers):
            await close()
        await self.engine.dispose()


def _server_of(engine: AsyncEngine) -> str:
    url = engine.url
    return f"{url.host}:{url.port or 5432}" if url.host else str(url.database or "")


def build_container(settings: Settings, clock: Clock | None = None) -> Container:
    assert settings.jwt_keys is not None, "load_settings guarantees signing keys"
    assert settings.encryption_keys is not None, "load_settings guarantees encryption keys"
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url, settings.db_pool_size)
    container = Container(
        settings=settings,
        clock=clock,
        engine=engine,
        sessions=create_session_factory(engine),
        cipher=FieldCipher(settings.encryption_keys, settings.data_key_cache_seconds),
        access_tokens=JwtAccessTokenCodec(
            settings.jwt_keys,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.access_token_ttl,
            clock=clock,
        ),
        database_outage=DatabaseOutage(_server_of(engine)),
    )
    if engine.dialect.name == "postgresql":
        # Same pool; the asyncpg adapter then sends no BEGIN/COMMIT (a client-side flag).
        container.statement_sessions = create_session_factory(
            engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        if settings.db_direct:
            direct = DirectPool(settings.database_url, settings.db_pool_size)
            container.direct_pool = direct
            container.closers.append(direct.aclose)
    container.readiness["database"] = lambda: _ping_database(engine)
    if settings.redis_url:
        # Blocking: a burst that needs more connections than the pool holds
        # waits for one (up to the pool timeout) instead of failing at once.
        pool = BlockingConnectionPool.from_url(
            settings.redis_url,
            max_connections=settings.redis_max_connections,
            timeout=settings.redis_pool_timeout,
            socket_connect_timeout=2,
            socket_timeout=5,
            health_check_interval=30,
        )
        redis = Redis.from_pool(pool)
        container.redis = redis
        container.readiness["redis"] = lambda: redis_accepts_writes(redis, settings.redis_namespace)
        container.closers.append(redis.aclose)
    _wire_notifications(container)
    return container


async def _ping_database(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


# Messages a socket may have waiting before it counts as too slow and is closed.
SOCKET_BACKLOG = 256


def _wire_notifications(container: Container) -> None:
    """SAQ on Redis and Redis pub/sub in production; in-process otherwise."""
    settings = container.settings
    backend: ChannelsBackend
    if settings.redis_url:
        # Its own client: a pub/sub connection blocks on reads, without the
        # short socket timeout the command client has.
        channels_redis = Redis.from_url(
            settings.redis_url, socket_connect_timeout=2, health_check_interval=30
        )
        backend = ResilientRedisPubSubBackend(redis=channels_redis)
        container.closers.append(channels_redis.aclose)
        queue = saq_queue(settings.redis_url, settings.redis_namespace)
        saq_notifications = SaqNotificationQueue(queue)
        container.saq_queue = queue
        container.notification_queue = saq_notifications
        container.closers.append(saq_notifications.aclose)
    else:
        backend = MemoryChannelsBackend()
        in_process = InProcessNotificationQueue()
        container.notification_queue = in_process
        container.lifespans.append(in_process)
    container.channels = ChannelsPlugin(
        backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=SOCKET_BACKLOG,
        subscriber_backlog_strategy="backoff",
        subscriber_class=BoundedSubscriber,
    )
    container.notification_publisher = ChannelsNotificationPublisher(
        backend, settings.redis_namespace
    )
    if isinstance(container.notification_queue, InProcessNotificationQueue):
        service = container.notifications
        expired_keys = container.expired_keys

        async def sweep() -> None:
            # The worker's cron jobs, for a process that has no worker.
            await service.sweep()
            await expired_keys.purge_if_due()

        container.notification_queue.bind(service.deliver, sweep)
