"""The composition root: settings -> adapters -> services.

The only module that knows every concrete adapter. The HTTP app, the SAQ
worker and the CLI all build their dependencies through `build_container`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from healthrecords.adapters.memory.login_attempts import MemoryLoginAttemptLimiter
from healthrecords.adapters.memory.notification_queue import InProcessNotificationQueue
from healthrecords.adapters.redis.login_attempts import RedisLoginAttemptLimiter
from healthrecords.adapters.security.argon2_hasher import Argon2PasswordHasher
from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.security.clock import SystemClock
from healthrecords.adapters.security.jwt_codec import JwtAccessTokenCodec
from healthrecords.adapters.sqlalchemy.engine import create_engine, create_session_factory
from healthrecords.adapters.sqlalchemy.key_rotation import RotationReport, rotate_keys
from healthrecords.adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from healthrecords.config import Settings
from healthrecords.domain.passwords import PasswordPolicy
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.login_attempts import LoginAttemptLimiter
from healthrecords.domain.ports.notifications import NotificationQueue
from healthrecords.domain.ports.security import PasswordHasher
from healthrecords.domain.ports.unit_of_work import UnitOfWork
from healthrecords.domain.services.accounts import AccountService
from healthrecords.domain.services.annotations import AnnotationService
from healthrecords.domain.services.assignments import AssignmentService
from healthrecords.domain.services.audit import AuditService
from healthrecords.domain.services.auth import AuthService
from healthrecords.domain.services.records import RecordService

ReadinessCheck = Callable[[], Awaitable[None]]


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

    def uow(self) -> UnitOfWork:
        return SqlUnitOfWork(self.sessions, self.cipher)

    @cached_property
    def password_hasher(self) -> PasswordHasher:
        s = self.settings
        return Argon2PasswordHasher(s.argon2_memory_kib, s.argon2_time_cost, s.argon2_parallelism)

    @cached_property
    def login_attempts(self) -> LoginAttemptLimiter:
        s = self.settings
        if self.redis is not None:
            return RedisLoginAttemptLimiter(
                self.redis,
                s.redis_namespace,
                self.clock,
                s.login_max_failures,
                s.login_failure_window,
            )
        return MemoryLoginAttemptLimiter(self.clock, s.login_max_failures, s.login_failure_window)

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
    def records(self) -> RecordService:
        return RecordService(self.uow, self.clock, self.notification_queue)

    @cached_property
    def assignments(self) -> AssignmentService:
        return AssignmentService(self.uow, self.clock, self.notification_queue)

    @cached_property
    def annotations(self) -> AnnotationService:
        return AnnotationService(self.uow, self.clock, self.notification_queue)

    @cached_property
    def audit(self) -> AuditService:
        return AuditService(self.uow, self.clock)

    async def rotate_encryption_keys(self, batch_size: int = 500) -> RotationReport:
        return await rotate_keys(self.sessions, self.cipher, batch_size)

    async def aclose(self) -> None:
        for close in reversed(self.closers):
            await close()
        await self.engine.dispose()


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
        cipher=FieldCipher(settings.encryption_keys),
        access_tokens=JwtAccessTokenCodec(
            settings.jwt_keys,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.access_token_ttl,
            clock=clock,
        ),
    )
    container.readiness["database"] = lambda: _ping_database(engine)
    if settings.redis_url:
        redis = Redis.from_url(
            settings.redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
        )
        container.redis = redis
        container.readiness["redis"] = lambda: _ping_redis(redis)
        container.closers.append(redis.aclose)
    return container


async def _ping_database(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def _ping_redis(redis: Redis) -> None:
    await redis.ping()
