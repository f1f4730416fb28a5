"""A record read: the record and the assignment fact in one statement, then its audit row."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import event

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.errors import NotFound
from healthrecords.domain.records import RecordType
from healthrecords.domain.services.records import NewRecord
from healthrecords.domain.users import Role
from tests.people import add_user


@pytest.fixture(scope="module")
async def container(settings: Settings) -> AsyncIterator[Container]:
    made = build_container(settings)
    yield made
    await made.aclose()


@pytest.fixture(scope="module")
async def postgres_container(production_settings: Settings) -> AsyncIterator[Container]:
    # Embedded SQLite keeps its transaction for reads (no network round trips).
    made = build_container(production_settings)
    yield made
    await made.aclose()


@contextmanager
def statements(container: Container) -> Iterator[list[str]]:
    seen: list[str] = []

    def capture(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        # Embedded mode's in-process notification sweep shares the engine.
        if "notification" not in statement:
            seen.append(statement.split(None, 1)[0].upper())

    engine = container.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


async def test_a_doctors_read_is_one_select_and_one_insert(container: Container) -> None:
    patient = await add_user(container, Role.PATIENT)
    doctor = await add_user(container, Role.DOCTOR)
    record = await container.records.create(
        patient, NewRecord(title="t", record_type=RecordType.NOTE, content="c")
    )
    assigned = await container.assignments.assign(patient, doctor.id)

    with statements(container) as seen:
        read = await container.records.get(doctor, record.id)
    assert read.content == "c"
    assert seen == ["SELECT", "INSERT"]

    await container.assignments.revoke(patient, assigned.assignment.id)
    with statements(container) as seen, pytest.raises(NotFound):
        await container.records.get(doctor, record.id)
    # The refusal is audited too: the same single read, then the denied row.
    assert seen == ["SELECT", "INSERT"]

    with statements(container) as seen, pytest.raises(NotFound):
        await container.records.get(doctor, uuid4())
    assert seen == ["SELECT", "INSERT"]


async def test_a_read_opens_no_transaction_on_postgresql(
    postgres_container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its only write is the audit row, one statement committed on its own before
    the answer: BEGIN and COMMIT would be two round trips guarding nothing."""
    import asyncpg

    container = postgres_container

    patient = await add_user(container, Role.PATIENT)
    record = await container.records.create(
        patient, NewRecord(title="t", record_type=RecordType.NOTE, content="c")
    )
    opened: list[object] = []
    real = asyncpg.Connection.transaction

    def counting(self: asyncpg.Connection, **kwargs: Any) -> Any:
        opened.append(kwargs)
        return real(self, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "transaction", counting)
    with statements(container) as seen:
        await container.records.get(patient, record.id)
        await container.records.list(patient)
    assert seen == ["SELECT", "INSERT", "SELECT", "INSERT"]
    assert opened == []
    # The audit rows were committed: another connection sees them.
    async with container.engine.connect() as conn:
        found = await conn.exec_driver_sql(
            "SELECT count(*) FROM audit_event WHERE actor_id = $1 AND action IN "
            "('record.read', 'record.list')",
            (patient.id,),
        )
        assert found.scalar_one() == 2
