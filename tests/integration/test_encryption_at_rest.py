"""Health data is ciphertext in the database, bound to its row, and rotatable."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import text

from healthrecords.adapters.sqlalchemy import migrate
from healthrecords.adapters.sqlalchemy.engine import create_engine
from healthrecords.bootstrap import Container, build_container
from healthrecords.config import KeyRing, Settings
from healthrecords.domain.errors import StoredDataUnreadable
from healthrecords.domain.idempotency import Answer, Once, digest
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.services.record_inputs import NewRecord, RecordChanges
from healthrecords.domain.users import Role
from tests.conftest import key_ring, key_ring_env
from tests.people import add_user


def keyed_once(key: str) -> Once[Record]:
    """An Idempotency-Key whose stored answer carries the record's title."""
    return Once(
        scope="POST /api/records/",
        key_digest=digest(key),
        fingerprint=digest(key + "-request"),
        render=lambda r: Answer(201, json.dumps({"id": str(r.id), "title": r.title}).encode()),
    )


@pytest.fixture(scope="module")
async def container(settings: Settings) -> AsyncIterator[Container]:
    made = build_container(settings)
    yield made
    await made.aclose()


async def raw_rows(container: Container, sql: str) -> list[tuple[object, ...]]:
    async with container.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(sql))]


def as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


async def test_no_plaintext_health_data_in_the_database(
    container: Container, settings: Settings
) -> None:
    marker = f"PLAINTEXT-{secrets.token_hex(8)}"
    patient = await add_user(container, Role.PATIENT)
    doctor = await add_user(container, Role.DOCTOR)
    await container.assignments.assign(patient, doctor.id)
    record = await container.records.create(
        patient,
        NewRecord(title=f"{marker}-title", record_type=RecordType.NOTE, content=f"{marker}-c"),
    )
    await container.annotations.annotate(doctor, record.id, f"{marker}-body")
    assert (await container.records.get(patient, record.id)).title == f"{marker}-title"
    keyed = NewRecord(title=f"{marker}-keyed", record_type=RecordType.NOTE, content="c")
    await container.records.create(patient, keyed, keyed_once(marker))
    # The first version is now kept in the history table.
    await container.records.update(
        patient, record.id, RecordChanges(title="t2", record_type=RecordType.NOTE, content="c2")
    )

    needle = marker.encode()
    tables = (
        "health_record",
        "health_record_version",
        "annotation",
        "audit_event",
        "notification",
        "idempotency_key",
    )
    for table in tables:
        for row in await raw_rows(container, f"SELECT * FROM {table}"):
            assert not any(needle in as_bytes(v) for v in row), table
    if settings.embedded:
        # The file itself, and its write-ahead log, on disk.
        database = Path(settings.database_url.split("///", 1)[1])
        for path in (database, database.with_name(database.name + "-wal")):
            if path.exists():
                assert needle not in path.read_bytes()


async def test_a_ciphertext_moved_to_another_row_fails_to_decrypt(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    patient = await add_user(container, Role.PATIENT)
    secret = NewRecord(title="Diagnosis X", record_type=RecordType.CONDITION, content="secret")
    source = await container.records.create(patient, secret)
    other = NewRecord(title="Harmless", record_type=RecordType.NOTE, content="harmless")
    target = await container.records.create(patient, other)
    async with container.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE health_record SET title_ciphertext = "
                "(SELECT title_ciphertext FROM health_record WHERE id = :src) WHERE id = :dst"
            ),
            {"src": _db_id(container, source.id), "dst": _db_id(container, target.id)},
        )
    caplog.set_level(logging.ERROR)
    with pytest.raises(StoredDataUnreadable) as caught:
        await container.records.get(patient, target.id)
    assert "Diagnosis" not in str(caught.value)
    assert "Diagnosis" not in caplog.text
    failures = [r for r in caplog.records if r.getMessage() == "stored field failed to decrypt"]
    assert [getattr(r, "row_id", None) for r in failures] == [str(target.id)]
    # The source row itself is untouched and still reads.
    assert (await container.records.get(patient, source.id)).title == "Diagnosis X"


async def test_a_kept_version_moved_to_another_version_fails_to_decrypt(
    container: Container,
) -> None:
    """The AAD of a kept version binds its number: history cannot be rewritten by copying."""
    patient = await add_user(container, Role.PATIENT)
    first = NewRecord(title="Original diagnosis", record_type=RecordType.CONDITION, content="a")
    record = await container.records.create(patient, first)
    for title in ("second", "third"):
        change = RecordChanges(title=title, record_type=RecordType.NOTE, content=title)
        await container.records.update(patient, record.id, change)
    assert (await container.record_history.get(patient, record.id, 2)).title == "second"
    async with container.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE health_record_version SET title_ciphertext = (SELECT title_ciphertext"
                " FROM health_record_version WHERE record_id = :r AND version = 1)"
                " WHERE record_id = :r AND version = 2"
            ),
            {"r": _db_id(container, record.id)},
        )
    with pytest.raises(StoredDataUnreadable):
        await container.record_history.get(patient, record.id, 2)
    assert (await container.record_history.get(patient, record.id, 1)).title == first.title


def _db_id(container: Container, ident: UUID) -> object:
    # advanced-alchemy stores GUIDs as native uuid on PostgreSQL, 16 bytes on SQLite.
    return ident.bytes if container.settings.embedded else ident


async def test_rotate_keys_rewraps_data_keys_and_touches_no_row(
    fresh_settings: Settings,
) -> None:
    old = KeyRing(current="old", keys={"old": secrets.token_bytes(32)})
    new_key = secrets.token_bytes(32)
    both = KeyRing(current="new", keys={"new": new_key, **old.keys})
    only_new = KeyRing(current="new", keys={"new": new_key})

    before = build_container(dataclasses.replace(fresh_settings, encryption_keys=old))
    patient = await add_user(before, Role.PATIENT)
    doctor = await add_user(before, Role.DOCTOR)
    await before.assignments.assign(patient, doctor.id)
    made = []
    for i in range(5):
        record = await before.records.create(
            patient, NewRecord(title=f"t{i}", record_type=RecordType.NOTE, content=f"c{i}")
        )
        await before.annotations.annotate(doctor, record.id, f"b{i}")
        change = RecordChanges(title=f"t{i}", record_type=RecordType.NOTE, content=f"c{i}")
        await before.records.update(patient, record.id, change)
        made.append(record)
    await before.aclose()

    during = build_container(dataclasses.replace(fresh_settings, encryption_keys=both))
    report = await during.rotate_encryption_keys(batch_size=2)
    # Only the patient's data key is rewrapped: no record is touched.
    assert report.data_keys_rewrapped == 1
    assert (report.records_rotated, report.annotations_rotated) == (0, 0)
    assert report.record_versions_rotated == 0
    assert report.unreadable == []
    assert report.batches == 1
    again = await during.rotate_encryption_keys(batch_size=2)
    assert (again.data_keys_rewrapped, again.records_rotated, again.batches) == (0, 0, 0)
    keys = await raw_rows(
        during,
        "SELECT key_id FROM health_record UNION ALL SELECT key_id FROM annotation"
        " UNION ALL SELECT key_id FROM health_record_version",
    )
    assert {k for (k,) in keys} == {"dk:1"}
    wraps = await raw_rows(during, "SELECT wrap_key_id FROM patient_data_key")
    assert {w for (w,) in wraps} == {"new"}
    await during.aclose()

    after = build_container(dataclasses.replace(fresh_settings, encryption_keys=only_new))
    page = await after.records.list(patient, limit=100)
    assert sorted(r.title for r in page.items) == [f"t{i}" for i in range(5)]
    for record in made:
        first = await after.record_history.get(patient, record.id, 1)
        assert first.title == record.title
        notes = await after.annotations.for_record(patient, record.id)
        assert [n.body for n in notes.items] == [record.title.replace("t", "b")]
    await after.aclose()


async def test_rotate_keys_re_encrypts_stored_idempotency_answers(
    fresh_settings: Settings,
) -> None:
    old = KeyRing(current="old", keys={"old": secrets.token_bytes(32)})
    new_key = secrets.token_bytes(32)
    both = KeyRing(current="new", keys={"new": new_key, **old.keys})
    only_new = KeyRing(current="new", keys={"new": new_key})
    new = NewRecord(title="Keyed", record_type=RecordType.NOTE, content="c")
    once = keyed_once("retry-me")

    before = build_container(dataclasses.replace(fresh_settings, encryption_keys=old))
    patient = await add_user(before, Role.PATIENT)
    record = await before.records.create(patient, new, once)
    assert isinstance(record, Record)
    await before.aclose()

    during = build_container(dataclasses.replace(fresh_settings, encryption_keys=both))
    report = await during.rotate_encryption_keys()
    assert report.idempotency_answers_rotated == 1
    assert report.unreadable == []
    await during.aclose()

    # The old key retired within the 24 hours: a retry still gets its answer.
    after = build_container(dataclasses.replace(fresh_settings, encryption_keys=only_new))
    replayed = await after.records.create(patient, new, once)
    assert isinstance(replayed, Answer)
    assert json.loads(replayed.body) == {"id": str(record.id), "title": "Keyed"}
    await after.aclose()


async def test_rotate_keys_command_reports_counts(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    old = key_ring("old")
    settings = Settings(
        data_dir=tmp_path, database_url=url, jwt_keys=key_ring("jwt"), encryption_keys=old
    )
    before = build_container(settings)
    patient = await add_user(before, Role.PATIENT)
    for i in range(3):
        await before.records.create(
            patient, NewRecord(title=f"t{i}", record_type=RecordType.NOTE, content="c")
        )
    await before.aclose()

    both = KeyRing(current="new1", keys={"new1": secrets.token_bytes(32), **old.keys})
    env = {
        **os.environ,
        "HEALTHRECORDS_DATA_DIR": str(tmp_path),
        "HEALTHRECORDS_DATABASE_URL": url,
        "HEALTHRECORDS_JWT_KEYS": key_ring_env(key_ring("jwt")),
        "HEALTHRECORDS_ENCRYPTION_KEYS": key_ring_env(both),
    }
    command = [sys.executable, "-m", "healthrecords.entrypoints.cli", "rotate-keys"]
    done = subprocess.run(  # noqa: ASYNC221 - a short child process in a test
        [*command, "--batch-size", "2"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["data_keys_rewrapped"] == 1
    assert report["records_rotated"] == 0
    assert report["current_key_id"] == "new1"
    assert report["unreadable"] == []
