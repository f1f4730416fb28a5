"""A patient's own create (CreateWork), one set of cases on every path:
the unit of work on SQLite and PostgreSQL, and asyncpg's single statement."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import ColumnElement, func, select

from healthrecords.adapters.sqlalchemy.models import AuditEventRow, DataKeyRow, RecordRow
from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.errors import NotFound
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.services.record_inputs import NewRecord
from healthrecords.domain.users import Role
from tests.integration.read_paths import statements, verbs
from tests.people import add_user

AT_ONCE = 16
DEADLINE = 10.0


def note(title: str) -> NewRecord:
    return NewRecord(title=title, record_type=RecordType.NOTE, content=f"{title} content")


async def created(container: Container, patient: Actor, title: str) -> Record:
    made = await container.records.create(patient, note(title))
    assert isinstance(made, Record)
    return made


async def count(container: Container, model: Any, *where: ColumnElement[bool]) -> int:
    async with container.engine.connect() as conn:
        found = await conn.execute(select(func.count()).select_from(model).where(*where))
        return int(found.scalar_one())


async def stored_records(container: Container, patient: Actor) -> int:
    return await count(container, RecordRow, RecordRow.patient_id == patient.id)


async def create_audit_rows(container: Container, actor: Actor, outcome: str = "success") -> int:
    return await count(
        container,
        AuditEventRow,
        AuditEventRow.actor_id == actor.id,
        AuditEventRow.action == "record.create",
        AuditEventRow.outcome == outcome,
    )


async def data_keys(container: Container, patient: Actor) -> int:
    return await count(container, DataKeyRow, DataKeyRow.patient_id == patient.id)


async def sealed_without_data_key(container: Container, patient: Actor) -> int:
    """Rows that would be readable with no data key (under a master key)."""
    return await count(
        container,
        RecordRow,
        RecordRow.patient_id == patient.id,
        RecordRow.key_id.not_like("dk:%"),
    )


async def test_the_record_and_its_audit_row_are_stored_together(read_path: Container) -> None:
    container = read_path
    patient = await add_user(container, Role.PATIENT)
    first = await created(container, patient, "first")
    second = await created(container, patient, "second")

    assert await container.records.get(patient, first.id) == first
    assert (await container.records.get(patient, second.id)).content == "second content"
    assert await stored_records(container, patient) == 2
    assert await create_audit_rows(container, patient) == 2


async def test_a_doctor_cannot_write_a_file_as_its_own(read_path: Container) -> None:
    container = read_path
    doctor = await add_user(container, Role.DOCTOR)
    mine = dataclasses.replace(note("mine"), patient_id=doctor.id)
    with pytest.raises(NotFound):
        await container.records.create(doctor, mine)
    assert await stored_records(container, doctor) == 0
    assert await create_audit_rows(container, doctor, "not_found") == 1


async def test_a_create_after_the_file_was_erased_is_not_found_and_stores_nothing(
    read_path: Container,
) -> None:
    container = read_path
    patient = await add_user(container, Role.PATIENT)
    admin = await add_user(container, Role.ADMIN)
    await created(container, patient, "before")  # the process now knows its key
    await container.erasure.erase(admin, patient.id, None)

    with pytest.raises(NotFound):
        await container.records.create(patient, note("after"))
    assert await create_audit_rows(container, patient) == 1
    assert await data_keys(container, patient) == 0
    assert await sealed_without_data_key(container, patient) == 0


async def test_a_create_after_the_key_was_replaced_is_sealed_under_the_new_one(
    read_path: Container,
) -> None:
    container = read_path
    patient = await add_user(container, Role.PATIENT)
    old = await created(container, patient, "old")  # the process now knows key 1
    report = await container.rotate_encryption_keys(100, data_keys_before=datetime.now(UTC))
    assert report.data_keys_retired >= 1

    new = await created(container, patient, "new")
    assert await container.records.get(patient, new.id) == new
    assert await container.records.get(patient, old.id) == old
    sealed = await count(
        container, RecordRow, RecordRow.patient_id == patient.id, RecordRow.key_id == "dk:2"
    )
    assert sealed == 2
    assert await create_audit_rows(container, patient) == 2


async def test_concurrent_creates_by_one_patient_are_all_stored_and_audited(
    read_path: Container,
) -> None:
    container = read_path
    patient = await add_user(container, Role.PATIENT)
    made = await asyncio.gather(*(created(container, patient, f"t{i}") for i in range(AT_ONCE)))

    assert len({r.id for r in made}) == AT_ONCE
    page = await container.records.list(patient, limit=AT_ONCE + 1)
    assert sorted(r.title for r in page.items) == sorted(f"t{i}" for i in range(AT_ONCE))
    assert await create_audit_rows(container, patient) == AT_ONCE


async def test_creates_racing_an_erasure_leave_no_key_and_no_readable_record(
    read_path: Container,
) -> None:
    container = read_path
    patient = await add_user(container, Role.PATIENT)
    admin = await add_user(container, Role.ADMIN)
    await created(container, patient, "known key")
    answers = await asyncio.gather(
        *(created(container, patient, f"t{i}") for i in range(AT_ONCE)),
        container.erasure.erase(admin, patient.id, None),
        return_exceptions=True,
    )

    failures = [a for a in answers if isinstance(a, BaseException)]
    assert all(isinstance(f, NotFound) for f in failures), failures
    assert await data_keys(container, patient) == 0
    # Reads join the data key: with none left, no row of the file is readable.
    assert await sealed_without_data_key(container, patient) == 0
    # Each create that answered was audited; none that failed was.
    assert await create_audit_rows(container, patient) == 1 + AT_ONCE - len(failures)


async def test_a_known_key_makes_the_create_one_statement(postgres_read_path: Container) -> None:
    container = postgres_read_path
    patient = await add_user(container, Role.PATIENT)
    await created(container, patient, "first")

    with statements(container) as seen:
        await created(container, patient, "second")
    if container.direct_pool is None:
        # The unit of work: the key under its lock, the record, the audit row.
        assert verbs(seen) == ["SELECT", "INSERT", "INSERT"]
    else:
        assert verbs(seen) == ["WITH"]


async def test_a_write_holding_the_data_key_does_not_block_the_patients_other_writes(
    postgres_read_path: Container,
) -> None:
    """The key is read FOR KEY SHARE: an open write of the patient's file must
    not hold up its notifications (an UPDATE of the account row) or its other
    writes. FOR NO KEY UPDATE, which SQLAlchemy renders for key_share alone,
    made them wait for the first write to end."""
    container = postgres_read_path
    patient = await add_user(container, Role.PATIENT)
    doctor = await add_user(container, Role.DOCTOR)
    await container.assignments.assign(patient, doctor.id)
    held = await created(container, patient, "held")
    async with container.uow() as open_write:
        await open_write.records.add(dataclasses.replace(held, id=uuid4()))
        async with asyncio.timeout(DEADLINE):
            async with container.uow() as other:
                await other.notifications.add(
                    patient.id, NotificationKind.RECORD_CREATED, {"record_id": "x"}, held.created_at
                )
                await other.commit()
            await created(container, patient, "beside")
            await container.records.create(
                doctor,
                NewRecord(
                    title="by the doctor",
                    record_type=RecordType.NOTE,
                    content="c",
                    patient_id=patient.id,
                ),
            )
        await open_write.commit()
    assert await stored_records(container, patient) == 4
