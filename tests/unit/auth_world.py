"""Account and auth services on memory fakes: no database, no argon2, no Redis."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from healthrecords.adapters.memory.login_attempts import MemoryLoginAttemptLimiter
from healthrecords.adapters.memory.store import MemoryStore
from healthrecords.adapters.memory.unit_of_work import MemoryUnitOfWork
from healthrecords.adapters.security.jwt_codec import JwtAccessTokenCodec
from healthrecords.config import KeyRing
from healthrecords.domain.actor import Actor
from healthrecords.domain.login_limits import LoginLimits
from healthrecords.domain.passwords import PasswordPolicy
from healthrecords.domain.services.accounts import AccountService
from healthrecords.domain.services.auth import AuthService
from healthrecords.domain.users import User
from tests.clock import MovableClock


@dataclass
class FakeHasher:
    """`scheme$password`; a hash of an older scheme needs rehashing."""

    scheme: str = "v1"
    verified: list[str] = field(default_factory=list)

    async def hash(self, password: str) -> str:
        return f"{self.scheme}${secrets.token_hex(4)}${password}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return password_hash.split("$", 2)[2] == password

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(self.scheme + "$")


@dataclass
class World:
    store: MemoryStore = field(default_factory=MemoryStore)
    clock: MovableClock = field(default_factory=MovableClock)
    hasher: FakeHasher = field(default_factory=FakeHasher)
    max_failures: int = 3
    window: int = 900

    def __post_init__(self) -> None:
        keys = KeyRing(current="k1", keys={"k1": secrets.token_bytes(32)})
        self.codec = JwtAccessTokenCodec(keys, "iss", "aud", 300, self.clock)
        self.attempts = MemoryLoginAttemptLimiter(
            self.clock, LoginLimits(per_address=self.max_failures, window_seconds=self.window)
        )
        policy = PasswordPolicy(frozenset({"password", "letmein", "qwertyqwerty"}))
        self.accounts = AccountService(self.uow, self.hasher, self.clock, policy)
        self.auth = AuthService(
            uow=self.uow,
            hasher=self.hasher,
            access_tokens=self.codec,
            clock=self.clock,
            attempts=self.attempts,
            refresh_ttl=timedelta(days=7),
        )

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store)

    async def user(self, role: str = "patient", password: str = "Long-Enough-Secret") -> User:
        email = f"{role}-{secrets.token_hex(4)}@example.org"
        return await self.accounts.register(email, password, "Some One", role)

    @staticmethod
    def actor(user: User) -> Actor:
        return Actor(id=user.id, role=user.role)
