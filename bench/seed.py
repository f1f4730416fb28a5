"""Bulk seeding straight into the database through the project's own adapters.

Going through the unit of work and repositories (not raw SQL) means the
100,000 records are encrypted by the project's cipher exactly as the API would
store them, and the users' tokens are minted by the project's JWT codec.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from argon2 import PasswordHasher

from bench.api import RECORD_BODY, Account
from bench.environment import BenchEnvironment
from healthrecords.bootstrap import Container, build_container
from healthrecords.config import load_settings
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.users import Role, User

# These users never log in: the cheapest hash argon2 accepts keeps seeding fast.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@asynccontextmanager
async def project_container(env: BenchEnvironment) -> AsyncIterator[Container]:
    container = build_container(load_settings(env.app_env()))
    try:
        yield container
    finally:
        await container.aclose()


async def add_records(
    container: Container, patient_id: UUID, count: int, batch: int = 2000, parallel: int = 2
) -> None:
    """`count` records in the patient's file, one minute apart, newest now."""
    now = datetime.now(UTC)
    gate = asyncio.Semaphore(parallel)

    async def write(start: int, end: int) -> None:
        async with gate, container.uow() as uow:
            for i in range(start, end):
                at = now - timedelta(minutes=i)
                await uow.records.add(
                    Record(
                        id=uuid4(),
                        patient_id=patient_id,
                        author_id=patient_id,
                        title=f"{RECORD_BODY['title']} #{i}",
                        record_type=RecordType.VITAL_SIGN,
                        content=RECORD_BODY["content"],
                        recorded_at=at,
                        created_at=at,
                        updated_at=at,
                        version=1,
                    )
                )
            await uow.commit()

    await asyncio.gather(*(write(s, min(s + batch, count)) for s in range(0, count, batch)))


async def add_users(container: Container, role: Role, count: int) -> list[Account]:
    password = secrets.token_urlsafe(16)
    password_hash = _FAST_HASHER.hash(password)
    now = datetime.now(UTC)
    accounts: list[Account] = []
    async with container.uow() as uow:
        for _ in range(count):
            user = User(
                id=uuid4(),
                email=f"bench-{role.value}-{secrets.token_hex(6)}@example.test",
                full_name=f"Bench {role.value}",
                role=role,
                is_active=True,
                password_hash=password_hash,
                created_at=now,
                updated_at=now,
            )
            await uow.users.add(user)
            token, _ = container.access_tokens.issue(user.id, role)
            accounts.append(Account(str(user.id), user.email, password, token))
        await uow.commit()
    return accounts
