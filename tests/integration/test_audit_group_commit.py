"""Group commit of audit rows on the asyncpg read path: concurrent reads share
INSERTs, and none answers before the INSERT holding its row has committed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from healthrecords.adapters.asyncpg.audit import GroupCommitAuditTrail
from healthrecords.adapters.asyncpg.pool import DirectPool
from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.actor import Actor
from healthrecords.domain.errors import Unavailable
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.services.record_inputs import NewRecord
from healthrecords.domain.users import Role
from tests.people import add_user

AT_ONCE = 24


@pytest.fixture(scope="module")
async def container(production_settings: Settings) -> AsyncIterator[Container]:
    made = build_container(production_settings)
    assert made.direct_pool is not None
    yield made
    await made.aclose()


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


def intercept_inserts(
    pool: DirectPool, before: Callable[[tuple[Any, ...]], Awaitable[None]]
) -> Callable[[], None]:
    real = pool.execute

    async def execute(sql: str, *args: Any) -> None:
        if sql.lstrip().startswith("INSERT"):
            await before(args)
        await real(sql, *args)

    pool.execute = execute  # type: ignore[method-assign]

    def restore() -> None:
        del pool.execute

    return restore


async def audit_rows(container: Container, actor: Actor) -> int:
    async with container.engine.connect() as conn:
        found = await conn.exec_driver_sql(
            "SELECT count(*) FROM audit_event WHERE actor_id = $1 AND action = 'record.read'",
            (actor.id,),
        )
        return int(found.scalar_one())


async def a_record(container: Container) -> tuple[Actor, Record]:
    patient = await add_user(container, Role.PATIENT)
    made = await container.records.create(
        patient, NewRecord(title="t", record_type=RecordType.NOTE, content="c")
    )
    assert isinstance(made, Record)
    return patient, made


async def test_concurrent_reads_answer_only_once_their_batch_committed(
    container: Container,
) -> None:
    patient, record = await a_record(container)
    assert container.direct_pool is not None
    gate, inserts = asyncio.Event(), []

    async def held(args: tuple[Any, ...]) -> None:
        inserts.append(len(args[0]))  # rows in this INSERT
        await gate.wait()

    restore = intercept_inserts(container.direct_pool, held)
    try:
        reads = [
            asyncio.create_task(container.records.get(patient, record.id)) for _ in range(AT_ONCE)
        ]
        # Every read has fetched its record and queued its row behind the held INSERT.
        await until(lambda: sum(inserts) >= 1)
        await until(lambda: _waiting_rows(container) + sum(inserts) == AT_ONCE)
        assert not [r for r in reads if r.done()]
        assert await audit_rows(container, patient) == 0
        gate.set()
        answered = await asyncio.wait_for(asyncio.gather(*reads), 20)
    finally:
        gate.set()
        restore()
    assert [r.id for r in answered] == [record.id] * AT_ONCE
    assert await audit_rows(container, patient) == AT_ONCE
    # The held INSERT plus one for everything that queued behind it.
    assert len(inserts) == 2
    assert sum(inserts) == AT_ONCE


async def test_reads_whose_batch_fails_answer_no_data(container: Container) -> None:
    patient, record = await a_record(container)
    assert container.direct_pool is not None

    async def refused(_args: tuple[Any, ...]) -> None:
        raise Unavailable("The database is unreachable; try again shortly.")

    restore = intercept_inserts(container.direct_pool, refused)
    try:
        answers = await asyncio.gather(
            *(container.records.get(patient, record.id) for _ in range(AT_ONCE)),
            return_exceptions=True,
        )
    finally:
        restore()
    assert [type(a) for a in answers] == [Unavailable] * AT_ONCE
    assert await audit_rows(container, patient) == 0
    # The trail recovers with the database: the next read is audited and answered.
    assert (await container.records.get(patient, record.id)).id == record.id
    assert await audit_rows(container, patient) == 1


def _waiting_rows(container: Container) -> int:
    trail = container.read_work().audit
    assert isinstance(trail, GroupCommitAuditTrail)
    return trail.queued_rows
