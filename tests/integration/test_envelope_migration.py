"""A database written by the code from before data keys: `migrate`, then
`rotate-keys` (the resumable re-encryption step) while it keeps serving."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import AsyncIterator
from io import BytesIO
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text

from healthrecords.adapters.sqlalchemy import migrate
from healthrecords.adapters.sqlalchemy.engine import create_engine
from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.actor import Actor
from healthrecords.domain.records import RecordType
from healthrecords.domain.services.record_inputs import NewRecord, RecordChanges
from healthrecords.domain.users import Role
from tests import servers
from tests.conftest import key_ring_env
from tests.people import add_user

ROOT = Path(__file__).resolve().parents[2]
# The last commit before data keys (main when issue 17 started).
TODAYS_CODE = "f94fb65"
WRITER = Path(__file__).with_name("legacy") / "write_with_todays_code.py"


def _checkout(into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", TODAYS_CODE, "src", "tests"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


@pytest.fixture
async def empty_database(
    settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Settings]:
    if settings.embedded:
        url = f"sqlite+aiosqlite:///{tmp_path / 'legacy.db'}"
    else:
        url = await servers.create_database(request.getfixturevalue("postgres_server"))
    yield dataclasses.replace(settings, database_url=url, redis_url=None)
    if not settings.embedded:
        await servers.drop_database(request.getfixturevalue("postgres_server"), url)


def _write_with_todays_code(settings: Settings, tmp_path: Path) -> dict[str, Any]:
    old = _checkout(tmp_path / "old")
    assert settings.jwt_keys is not None
    assert settings.encryption_keys is not None
    env = {
        **os.environ,
        "PYTHONPATH": f"{old / 'src'}{os.pathsep}{old}",
        "HEALTHRECORDS_DATA_DIR": str(tmp_path / "data"),
        "HEALTHRECORDS_DATABASE_URL": settings.database_url,
        "HEALTHRECORDS_JWT_KEYS": key_ring_env(settings.jwt_keys),
        "HEALTHRECORDS_ENCRYPTION_KEYS": key_ring_env(settings.encryption_keys),
    }
    env.pop("HEALTHRECORDS_REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, str(WRITER)],
        env=env,
        cwd=old,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    written: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return written


async def _key_ids(container: Container) -> set[str]:
    async with container.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT key_id FROM health_record UNION SELECT key_id FROM annotation"
                " UNION SELECT key_id FROM health_record_version"
            )
        )
        return {k for (k,) in rows}


async def _read_everything(container: Container, written: dict[str, Any]) -> None:
    """Every record, kept version and annotation reads back as written."""
    for patient in written["patients"]:
        actor = Actor(id=UUID(patient["id"]), role=Role.PATIENT)
        page = await container.records.list(actor, limit=100)
        titles = {str(r.id): r.title for r in page.items}
        for record in patient["records"]:
            rid, title = UUID(record["id"]), record["title"]
            assert titles[record["id"]].startswith(title)
            assert (await container.record_history.get(actor, rid, 1)).title == title
            notes = await container.annotations.for_record(actor, rid)
            assert [n.body for n in notes.items] == [f"{title}-note"]


async def test_a_database_written_by_todays_code_migrates_and_reads_every_row(
    empty_database: Settings, tmp_path: Path
) -> None:
    written = _write_with_todays_code(empty_database, tmp_path)
    engine = create_engine(empty_database.database_url)
    await migrate.upgrade(engine)  # `healthrecords migrate`
    await engine.dispose()

    container = build_container(empty_database)
    master = empty_database.encryption_keys.current  # type: ignore[union-attr]
    assert await _key_ids(container) == {master}
    # Before the re-encryption step: the old rows read as they are.
    await _read_everything(container, written)

    # The step runs while the API serves: edits race the batches.
    first = written["patients"][0]
    actor = Actor(id=UUID(first["id"]), role=Role.PATIENT)

    async def edit(record: dict[str, str]) -> None:
        change = RecordChanges(
            title=record["title"] + "-v3", record_type=RecordType.NOTE, content="c3"
        )
        await container.records.update(actor, UUID(record["id"]), change)

    report, *_ = await asyncio.gather(
        container.rotate_encryption_keys(batch_size=2),
        *(edit(r) for r in first["records"]),
        container.records.create(
            actor, NewRecord(title="new", record_type=RecordType.NOTE, content="n")
        ),
    )
    assert report.unreadable == []
    finish = await container.rotate_encryption_keys(batch_size=2)
    assert finish.unreadable == []
    assert {k for k in await _key_ids(container)} == {"dk:1"}
    await _read_everything(container, written)
    page = await container.records.list(actor, limit=100)
    edited = {r.title for r in page.items}
    assert {r["title"] + "-v3" for r in first["records"]} | {"new"} == edited
    again = await container.rotate_encryption_keys(batch_size=2)
    moved = (again.records_rotated, again.annotations_rotated, again.record_versions_rotated)
    assert moved == (0, 0, 0)
    await container.aclose()


async def test_erasing_a_file_not_yet_re_encrypted_leaves_nothing_readable(
    empty_database: Settings, tmp_path: Path
) -> None:
    written = _write_with_todays_code(empty_database, tmp_path)
    engine = create_engine(empty_database.database_url)
    await migrate.upgrade(engine)
    await engine.dispose()
    container = build_container(empty_database)
    admin = await add_user(container, Role.ADMIN)
    erased, *others = written["patients"]
    await container.erasure.erase(admin, UUID(erased["id"]), None)
    async with container.engine.connect() as conn:
        blanked = await conn.execute(
            text(
                "SELECT count(*) FROM health_record WHERE key_id = 'dk:0' AND title_ciphertext = :e"
            ),
            {"e": b""},
        )
        assert blanked.scalar() == len(erased["records"])
    actor = Actor(id=UUID(erased["id"]), role=Role.PATIENT)
    assert (await container.records.list(actor, limit=100)).items == []
    await _read_everything(container, {"patients": others})
    finish = await container.rotate_encryption_keys()
    assert finish.unreadable == []
    await _read_everything(container, {"patients": others})
    await container.aclose()
