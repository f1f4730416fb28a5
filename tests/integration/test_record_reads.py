"""The read port (ReadWork: records, assignment facts, audit trail), one set of
cases on every implementation: SQLAlchemy on SQLite and PostgreSQL, asyncpg."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.assignments import Assignment
from healthrecords.domain.audit import AuditEvent, Outcome
from healthrecords.domain.pagination import Cursor
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.users import Role
from tests.people import add_user

START = datetime(2022, 3, 1, tzinfo=UTC)


async def file_of(container: Container, patient: Actor, count: int) -> list[Record]:
    made = []
    async with container.uow() as uow:
        for i in range(count):
            at = START + timedelta(hours=i)
            record = Record(
                id=uuid4(),
                patient_id=patient.id,
                author_id=patient.id,
                title=f"title {i}",
                record_type=RecordType.ALLERGY if i % 3 == 0 else RecordType.NOTE,
                content=f"content {i} é",
                recorded_at=at,
                created_at=at,
                updated_at=at,
                version=1,
                updated_by=patient.id,
            )
            await uow.records.add(record)
            made.append(record)
        await uow.commit()
    return made


async def assign(container: Container, doctor: Actor, patient: Actor) -> Assignment:
    assignment = Assignment(
        id=uuid4(),
        doctor_id=doctor.id,
        patient_id=patient.id,
        assigned_by=patient.id,
        created_at=START,
    )
    async with container.uow() as uow:
        await uow.assignments.add(assignment)
        await uow.commit()
    return assignment


def newest_first(records: list[Record]) -> list[Record]:
    return sorted(records, key=lambda r: (r.recorded_at, r.id), reverse=True)


async def test_get_and_get_for_reader_see_live_records_and_the_assignment_fact(
    read_path: Container,
) -> None:
    container = read_path
    patient = await add_user(container, Role.PATIENT)
    doctor = await add_user(container, Role.DOCTOR)
    stranger = await add_user(container, Role.DOCTOR)
    kept, deleted = await file_of(container, patient, 2)
    assignment = await assign(container, doctor, patient)
    async with container.uow() as uow:
        await uow.records.soft_delete(deleted.id, START)
        await uow.commit()

    async with container.read_work() as work:
        assert await work.records.get(kept.id) == kept
        assert await work.records.get(deleted.id) is None
        assert await work.records.get(uuid4()) is None
        fetched = await work.records.get_for_reader(kept.id, doctor.id)
        assert fetched is not None
        assert fetched.record == kept
        assert fetched.reader_assigned
        other = await work.records.get_for_reader(kept.id, stranger.id)
        assert other is not None
        assert not other.reader_assigned
        assert await work.records.get_for_reader(deleted.id, doctor.id) is None
        assert await work.assignments.get_active(doctor.id, patient.id) == assignment
        assert await work.assignments.get_active(stranger.id, patient.id) is None
        assert await work.assignments.assigned_files(doctor.id) == [patient.id]

    async with container.uow() as uow:
        await uow.assignments.revoke(assignment.id, START, patient.id)
        await uow.commit()
    async with container.read_work() as work:
        revoked = await work.records.get_for_reader(kept.id, doctor.id)
        assert revoked is not None
        assert not revoked.reader_assigned
        assert await work.assignments.get_active(doctor.id, patient.id) is None
        assert await work.assignments.assigned_files(doctor.id) == []


async def test_list_pages_one_file_and_many_newest_first(read_path: Container) -> None:
    container = read_path
    doctor = await add_user(container, Role.DOCTOR)
    first = await add_user(container, Role.PATIENT)
    second = await add_user(container, Role.PATIENT)
    one = await file_of(container, first, 7)
    two = await file_of(container, second, 5)
    files: list[UUID] = [first.id, second.id]

    async with container.read_work() as work:
        page = await work.records.list([first.id], None, 4, None)
        assert page == newest_first(one)[:4]
        after = Cursor(page[-1].recorded_at, page[-1].id)
        assert await work.records.list([first.id], None, 4, after) == newest_first(one)[4:]
        allergies = [r for r in newest_first(one) if r.record_type is RecordType.ALLERGY]
        assert await work.records.list([first.id], RecordType.ALLERGY, 10, None) == allergies
        both = newest_first(one + two)
        page = await work.records.list(files, None, 5, None)
        assert page == both[:5]
        after = Cursor(page[-1].recorded_at, page[-1].id)
        assert await work.records.list(files, None, 5, after) == both[5:10]
        typed = [r for r in both if r.record_type is RecordType.NOTE][:3]
        assert await work.records.list(files, RecordType.NOTE, 3, None) == typed
        assert await work.records.list([], None, 5, None) == []
        assert await work.records.list([doctor.id], None, 5, None) == []
        assert await work.records.list_assigned(doctor.id, None, 5, None) == []

    await assign(container, doctor, first)
    revoked = await assign(container, doctor, second)
    async with container.read_work() as work:
        page = await work.records.list_assigned(doctor.id, None, 5, None)
        assert page == both[:5]
        after = Cursor(page[-1].recorded_at, page[-1].id)
        assert await work.records.list_assigned(doctor.id, None, 5, after) == both[5:10]
        assert await work.records.list_assigned(doctor.id, RecordType.NOTE, 3, None) == typed
    async with container.uow() as uow:
        await uow.assignments.revoke(revoked.id, START, second.id)
        await uow.commit()
    async with container.read_work() as work:
        # Access ends with the assignment: only the first file is read now.
        assert await work.records.list_assigned(doctor.id, None, 20, None) == newest_first(one)


async def test_a_file_page_comes_with_the_readers_assignment_fact(read_path: Container) -> None:
    container = read_path
    doctor = await add_user(container, Role.DOCTOR)
    stranger = await add_user(container, Role.DOCTOR)
    patient = await add_user(container, Role.PATIENT)
    empty = await add_user(container, Role.PATIENT)
    made = newest_first(await file_of(container, patient, 7))
    async with container.uow() as uow:
        await uow.records.soft_delete(made[1].id, START)
        await uow.commit()
    live = [made[0], *made[2:]]
    assignment = await assign(container, doctor, patient)
    await assign(container, doctor, empty)

    async with container.read_work() as work:
        page = await work.records.list_for_reader(patient.id, doctor.id, None, 4, None)
        assert page.records == live[:4]
        assert page.reader_assigned
        after = Cursor(live[3].recorded_at, live[3].id)
        rest = await work.records.list_for_reader(patient.id, doctor.id, None, 4, after)
        assert rest.records == live[4:]
        allergies = [r for r in live if r.record_type is RecordType.ALLERGY]
        typed = await work.records.list_for_reader(
            patient.id, doctor.id, RecordType.ALLERGY, 10, None
        )
        assert typed.records == allergies
        # The fact also for an empty page, and for a reader without an assignment.
        none = await work.records.list_for_reader(empty.id, doctor.id, None, 4, None)
        assert list(none.records) == []
        assert none.reader_assigned
        other = await work.records.list_for_reader(patient.id, stranger.id, None, 4, None)
        assert other.records == live[:4]
        assert not other.reader_assigned
        beyond = Cursor(live[-1].recorded_at, live[-1].id)
        last = await work.records.list_for_reader(patient.id, stranger.id, None, 4, beyond)
        assert list(last.records) == []
        assert not last.reader_assigned

    async with container.uow() as uow:
        await uow.assignments.revoke(assignment.id, START, patient.id)
        await uow.commit()
    async with container.read_work() as work:
        revoked = await work.records.list_for_reader(patient.id, doctor.id, None, 4, None)
        assert not revoked.reader_assigned


async def test_audit_rows_written_through_a_read_are_committed(read_path: Container) -> None:
    container = read_path
    actor = await add_user(container, Role.PATIENT)
    events = [
        AuditEvent(
            id=uuid4(),
            occurred_at=START + timedelta(seconds=i),
            actor_id=actor.id,
            actor_role="patient",
            action="record.list",
            target_type="record",
            target_id=None,
            patient_id=actor.id,
            outcome=Outcome.SUCCESS,
            request_id=f"req-{i}",
            client_address="127.0.0.1" if i else None,
        )
        for i in range(3)
    ]
    async with container.read_work() as work:
        await work.audit.add(events[0])
        await work.audit.add_many(events[1:])
        await work.audit.add_many([])
        await work.commit()
    # Another unit of work sees them once the work committed (the asyncpg path
    # commits each write before it returns; the services commit either way).
    async with container.uow() as uow:
        stored = await uow.audit.list(actor_id=actor.id, limit=10, after=None)
    assert sorted(stored, key=lambda e: e.occurred_at) == events
