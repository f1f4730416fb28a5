"""Listing a page reads about a page of rows, however many records a file holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import text

from healthrecords.bootstrap import Container
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.users import Role
from tests.integration.read_paths import statements as sent_statements
from tests.people import add_user

RECORDS = 3000
LIMIT = 20


@pytest.fixture(scope="module")
def container(read_path: Container) -> Container:
    return read_path


def plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += plan_nodes(child)
    return nodes


async def test_a_page_reads_a_page_of_rows(container: Container) -> None:
    embedded = container.settings.embedded
    patient = await add_user(container, Role.PATIENT)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    async with container.uow() as uow:
        for i in range(RECORDS):
            at = start + timedelta(minutes=i)
            kind = RecordType.ALLERGY if i % 100 == 0 else RecordType.NOTE
            await uow.records.add(
                Record(
                    id=uuid4(),
                    patient_id=patient.id,
                    author_id=patient.id,
                    title="t",
                    record_type=kind,
                    content="c",
                    recorded_at=at,
                    created_at=at,
                    updated_at=at,
                    version=1,
                )
            )
        await uow.commit()
    async with container.engine.begin() as conn:
        await conn.execute(text("ANALYZE health_record" if not embedded else "ANALYZE"))

    with sent_statements(container) as seen:
        first = await container.records.list(patient, limit=LIMIT)
        await container.records.list(patient, limit=LIMIT, cursor=first.next_cursor)
        await container.records.list(patient, record_type=RecordType.ALLERGY, limit=LIMIT)
        # Named: the page comes with the reader's assignment fact.
        named = await container.records.list(patient, patient_id=patient.id, limit=LIMIT)
        assert named.items == first.items
        await container.records.list(patient, patient_id=patient.id, cursor=first.next_cursor)
    statements = [(sql, params) for sql, params in seen if "FROM health_record" in sql]
    assert len(statements) == 5
    for statement, params in statements:
        if embedded:
            await assert_sqlite_plan_is_bounded(container, statement, params)
        else:
            await assert_postgres_plan_is_bounded(container, statement, params)


async def assert_postgres_plan_is_bounded(
    container: Container, statement: str, params: Any
) -> None:
    async with container.engine.connect() as conn:
        result = await conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params)
        raw = result.scalar_one()
    nodes = plan_nodes((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"])
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], statement
    touched = max(n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0) for n in nodes)
    # A page (plus the one that says "more"), not the 3000 rows of the file.
    assert touched <= LIMIT + 1, (touched, statement)


async def assert_sqlite_plan_is_bounded(container: Container, statement: str, params: Any) -> None:
    async with container.engine.connect() as conn:
        result = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
        steps = [str(row[-1]) for row in result]
    if "MATERIALIZE page" in steps and steps[-1] == "USE TEMP B-TREE FOR ORDER BY":
        # The page joined to the reader's assignment fact, then put back in
        # order: a sort of the page's rows (at most the limit), not the file's.
        steps = steps[:-1]
    # Walks the keyset index in order: no full scan, no sort of the whole file.
    assert not [s for s in steps if "TEMP B-TREE" in s], steps
    scans = [s for s in steps if "health_record" in s]
    assert scans, steps
    assert all("USING INDEX ix_health_record_patient" in s for s in scans), steps
