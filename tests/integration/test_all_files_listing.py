"""A doctor's all-files list: one fixed statement, an index lookup per file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.assignments import Assignment
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.users import Role
from tests.integration.read_paths import statements as sent_statements
from tests.integration.test_record_listing_cost import plan_nodes
from tests.people import add_user

PER_FILE = 8
LIMIT = 5


@pytest.fixture(scope="module")
def container(read_path: Container) -> Container:
    return read_path


async def doctor_with_files(container: Container, files: int) -> tuple[Actor, list[Record]]:
    doctor = await add_user(container, Role.DOCTOR)
    start = datetime(2021, 1, 1, tzinfo=UTC)
    made: list[Record] = []
    patients = [(await add_user(container, Role.PATIENT)).id for _ in range(files)]
    async with container.uow() as uow:
        for f, patient in enumerate(patients):
            await uow.assignments.add(
                Assignment(
                    id=uuid4(),
                    doctor_id=doctor.id,
                    patient_id=patient,
                    assigned_by=patient,
                    created_at=start,
                )
            )
            for i in range(PER_FILE):
                # Interleaved in time across files, so the newest page mixes them.
                at = start + timedelta(minutes=i * files + f)
                kind = RecordType.ALLERGY if i % 2 else RecordType.NOTE
                record = Record(
                    id=uuid4(),
                    patient_id=patient,
                    author_id=patient,
                    title=f"t{f}-{i}",
                    record_type=kind,
                    content="c",
                    recorded_at=at,
                    created_at=at,
                    updated_at=at,
                    version=1,
                )
                await uow.records.add(record)
                made.append(record)
        await uow.commit()
    return doctor, made


def newest(records: list[Record], kind: RecordType | None = None) -> list[UUID]:
    kept = [r for r in records if kind is None or r.record_type is kind]
    kept.sort(key=lambda r: (r.recorded_at, r.id), reverse=True)
    return [r.id for r in kept]


async def test_the_all_files_statement_does_not_grow_with_the_files(container: Container) -> None:
    few_doctor, few = await doctor_with_files(container, 2)
    many_doctor, many = await doctor_with_files(container, 30)
    # The newest record of the 30 files is soft-deleted: no page shows it.
    gone = max(many, key=lambda r: (r.recorded_at, r.id))
    async with container.uow() as uow:
        await uow.records.soft_delete(gone.id, gone.recorded_at)
        await uow.commit()
    many.remove(gone)
    with sent_statements(container) as seen:
        small = await container.records.list(few_doctor, limit=LIMIT)
        first = await container.records.list(many_doctor, limit=LIMIT)
        second = await container.records.list(many_doctor, limit=LIMIT, cursor=first.next_cursor)
        typed = await container.records.list(
            many_doctor, record_type=RecordType.ALLERGY, limit=LIMIT
        )
    statements = [(sql, params) for sql, params in seen if "FROM health_record" in sql]

    assert [r.id for r in small.items] == newest(few)[:LIMIT]
    assert [r.id for r in first.items] == newest(many)[:LIMIT]
    assert [r.id for r in second.items] == newest(many)[LIMIT : 2 * LIMIT]
    assert [r.id for r in typed.items] == newest(many, RecordType.ALLERGY)[:LIMIT]
    assert len(statements) == 4
    if not container.settings.embedded:
        # The same text for 2 files and 30: built once, prepared once, not per request.
        assert statements[0][0] == statements[1][0]
        await assert_one_bounded_lookup_per_file(container, *statements[1], files=30)


async def assert_one_bounded_lookup_per_file(
    container: Container, statement: str, params: Any, files: int
) -> None:
    async with container.engine.connect() as conn:
        # This test's table holds a few hundred rows, where a sequential scan is
        # cheaper and rightly chosen; the shape asserted is the one the planner
        # takes on a real table (bench scenario 7 prints it at 20,000 records).
        await conn.exec_driver_sql("SET enable_seqscan = off")
        result = await conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params)
        raw = result.scalar_one()
    nodes = plan_nodes((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"])
    scans = [n for n in nodes if n.get("Relation Name") == "health_record"]
    assert scans
    assert all("Index" in n["Node Type"] for n in scans), scans
    # One lookup of a single key per file; a page of keys from only the few
    # files that can hold the page; then a page of full rows.
    page = LIMIT + 1  # the service asks for one more, to know there is a next page
    touched = sum(n["Actual Rows"] * n.get("Actual Loops", 1) for n in scans)
    assert touched <= files + page * page + page, [
        (n["Node Type"], n["Actual Rows"], n.get("Actual Loops")) for n in scans
    ]
