"""A record read: the record and the assignment fact in one statement, then its audit row."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from healthrecords.bootstrap import Container
from healthrecords.domain.errors import NotFound
from healthrecords.domain.records import RecordType
from healthrecords.domain.services.record_inputs import NewRecord
from healthrecords.domain.users import Role
from tests.integration.read_paths import statements, verbs
from tests.people import add_user


async def test_a_doctors_read_is_one_select_and_one_insert(read_path: Container) -> None:
    container = read_path
    patient = await add_user(container, Role.PATIENT)
    doctor = await add_user(container, Role.DOCTOR)
    record = await container.records.create(
        patient, NewRecord(title="t", record_type=RecordType.NOTE, content="c")
    )
    assigned = await container.assignments.assign(patient, doctor.id)

    with statements(container) as seen:
        read = await container.records.get(doctor, record.id)
    assert read.content == "c"
    assert verbs(seen) == ["SELECT", "INSERT"]

    await container.assignments.revoke(patient, assigned.assignment.id)
    with statements(container) as seen, pytest.raises(NotFound):
        await container.records.get(doctor, record.id)
    # The refusal is audited too: the same single read, then the denied row.
    assert verbs(seen) == ["SELECT", "INSERT"]

    with statements(container) as seen, pytest.raises(NotFound):
        await container.records.get(doctor, uuid4())
    assert verbs(seen) == ["SELECT", "INSERT"]


async def test_a_read_opens_no_transaction_on_postgresql(
    postgres_read_path: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its only write is the audit row, one statement committed on its own before
    the answer: BEGIN and COMMIT would be two round trips guarding nothing."""
    import asyncpg

    container = postgres_read_path

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
    assert verbs(seen) == ["SELECT", "INSERT", "SELECT", "INSERT"]
    assert opened == []
    # The audit rows were committed: another connection sees them.
    async with container.engine.connect() as conn:
        found = await conn.exec_driver_sql(
            "SELECT count(*) FROM audit_event WHERE actor_id = $1 AND action IN "
            "('record.read', 'record.list')",
            (patient.id,),
        )
        assert found.scalar_one() == 2


async def test_a_doctors_file_page_is_one_select_and_one_insert(read_path: Container) -> None:
    """The page and the doctor's assignment fact come in one statement, also
    when the page is empty or the doctor is not (or no longer) assigned."""
    container = read_path
    patient = await add_user(container, Role.PATIENT)
    empty = await add_user(container, Role.PATIENT)
    doctor = await add_user(container, Role.DOCTOR)
    await container.records.create(
        patient, NewRecord(title="t", record_type=RecordType.NOTE, content="c")
    )
    assigned = await container.assignments.assign(patient, doctor.id)
    await container.assignments.assign(empty, doctor.id)

    with statements(container) as seen:
        page = await container.records.list(doctor, patient_id=patient.id)
    assert [r.content for r in page.items] == ["c"]
    assert verbs(seen) == ["SELECT", "INSERT"]

    with statements(container) as seen:
        none = await container.records.list(doctor, patient_id=empty.id)
    assert none.items == []
    assert verbs(seen) == ["SELECT", "INSERT"]

    await container.assignments.revoke(patient, assigned.assignment.id)
    with statements(container) as seen, pytest.raises(NotFound):
        await container.records.list(doctor, patient_id=patient.id)
    # The refusal is audited: the same single read, then the denied row.
    assert verbs(seen) == ["SELECT", "INSERT"]
