"""Bulk seeding straight into the database through the project's own adapters.

Going through the unit of work and repositories (not raw SQL) means the
100,000 records are encrypted by the project's cipher exactly as the API would
store them, and the users' tokens are minted by the project's JWT codec.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg
from argon2 import PasswordHasher

from bench.api import RECORD_BODY, Account
from bench.environment import BenchEnvironment
from healthrecords.adapters.sqlalchemy.repositories.record_pages import ASSIGNED_STATEMENTS
from healthrecords.bootstrap import Container, build_container
from healthrecords.config import load_settings
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.tokens import RefreshTokenFamily
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
                await uow.records.add(_seeded(patient_id, i, at))
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
                two_factor=role.value in container.settings.mfa_required_roles,
            )
            await uow.users.add(user)
            session = RefreshTokenFamily(id=uuid4(), user_id=user.id, created_at=now)
            await uow.refresh_tokens.add_family(session)
            token, _ = container.access_tokens.issue(user.id, role, session.id)
            accounts.append(Account(str(user.id), user.email, password, token))
        await uow.commit()
    return accounts


def now() -> datetime:
    return datetime.now(UTC)


async def add_files(
    container: Container, patient_ids: list[UUID], per_file: int, files_per_batch: int = 50
) -> None:
    """`per_file` records in each file, one minute apart and interleaved across files."""
    start = datetime.now(UTC)
    for b in range(0, len(patient_ids), files_per_batch):
        async with container.uow() as uow:
            for f, patient_id in enumerate(patient_ids[b : b + files_per_batch], start=b):
                for i in range(per_file):
                    at = start - timedelta(minutes=i * len(patient_ids) + f)
                    await uow.records.add(_seeded(patient_id, i, at))
            await uow.commit()


def _seeded(patient_id: UUID, i: int, at: datetime) -> Record:
    """The i-th seeded vital sign of a patient's own file, recorded at `at`."""
    return Record(
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


async def vacuum(env: BenchEnvironment) -> None:
    """A settled table, as in production: fresh statistics and visibility map."""
    conn = await asyncpg.connect(env.asyncpg_dsn)
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def all_files_plan(env: BenchEnvironment, doctor_id: str) -> str:
    """EXPLAIN ANALYZE of the repository's all-files statement: PostgreSQL's share."""
    sql = (
        str(ASSIGNED_STATEMENTS[(False, False)].element)
        .replace(":doctor_id", "$1")
        .replace(":limit", "$2")
    )
    conn = await asyncpg.connect(env.asyncpg_dsn)
    try:
        files = await conn.fetchval(
            "SELECT array_agg(patient_id) FROM assignment"
            " WHERE doctor_id = $1 AND revoked_at IS NULL",
            UUID(doctor_id),
        )
        times, top = [], {}
        for _ in range(10):
            raw = await conn.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, UUID(doctor_id), 21)
            top = json.loads(raw)[0]
            times.append(top["Execution Time"])
    finally:
        await conn.close()
    kinds: list[str] = []
    todo = [top["Plan"]]
    while todo:
        node = todo.pop(0)
        kinds.append(
            node["Node Type"] + (f" on {node['Index Name']}" if "Index Name" in node else "")
        )
        todo += node.get("Plans", [])
    return (
        f"{len(files)} files; {' > '.join(kinds)}; "
        f"median execution {sorted(times)[len(times) // 2]:.2f} ms"
    )
