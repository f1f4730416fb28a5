"""Envelope encryption: a data key per patient, only ever stored wrapped by a master key."""

from __future__ import annotations

import dataclasses
import logging
import secrets
import subprocess
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import text

from healthrecords.adapters.security.data_keys import MasterKeyMissing, WrappedKey
from healthrecords.bootstrap import build_container
from healthrecords.config import KeyRing, Settings
from healthrecords.domain.errors import StoredDataUnreadable
from healthrecords.domain.records import RecordType
from healthrecords.domain.services.record_inputs import NewRecord, RecordChanges
from healthrecords.domain.users import Role
from tests.people import add_user


def _ring(kid: str) -> KeyRing:
    return KeyRing(current=kid, keys={kid: secrets.token_bytes(32)})


def _note(title: str) -> NewRecord:
    return NewRecord(title=title, record_type=RecordType.NOTE, content=f"{title}-content")


async def _stored_keys(container: object, settings: Settings) -> list[WrappedKey]:
    async with container.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = await conn.execute(
            text("SELECT patient_id, ref, wrap_key_id, wrapped_key FROM patient_data_key")
        )
        # SQLite keeps GUIDs as 16 raw bytes.
        return [
            WrappedKey(p if isinstance(p, UUID) else UUID(bytes=bytes(p)), ref, kid, bytes(w))
            for p, ref, kid, w in rows
        ]


def _reasons(caplog: pytest.LogCaptureFixture) -> str:
    return " ".join(str(getattr(r, "reason", "")) for r in caplog.records)


def _dump(settings: Settings) -> bytes:
    """The whole database as an operator would copy it."""
    if settings.embedded:
        database = Path(settings.database_url.split("///", 1)[1])
        files = (database, database.with_name(database.name + "-wal"))
        return b"".join(p.read_bytes() for p in files if p.exists())
    url = settings.database_url.replace("postgresql+asyncpg", "postgresql")
    return subprocess.run(
        ["pg_dump", "--data-only", "--inserts", url], capture_output=True, check=True, timeout=60
    ).stdout


async def test_data_keys_never_appear_unwrapped_in_a_dump(fresh_settings: Settings) -> None:
    container = build_container(fresh_settings)
    patients = [await add_user(container, Role.PATIENT) for _ in range(3)]
    for patient in patients:
        record = await container.records.create(patient, _note("dump"))
        change = RecordChanges(title="dump2", record_type=RecordType.NOTE, content="c2")
        await container.records.update(patient, record.id, change)
    stored = await _stored_keys(container, fresh_settings)
    assert {k.patient_id for k in stored} == {p.id for p in patients}
    # The unwrapped keys, as only this process may hold them.
    unwrapped = [container.cipher.data_keys._unwrap(k) for k in stored]
    await container.aclose()
    dump = _dump(fresh_settings)
    assert dump  # the dump has the rows
    for key in unwrapped:
        assert key not in dump
        assert key.hex() not in dump.decode("latin-1").lower()
    for wrapped in stored:  # the wrapped form is what is stored
        assert wrapped.wrapped in dump or wrapped.wrapped.hex() in dump.decode("latin-1")


async def test_a_record_moved_to_another_patients_file_fails_to_decrypt(
    fresh_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    container = build_container(fresh_settings)
    owner = await add_user(container, Role.PATIENT)
    other = await add_user(container, Role.PATIENT)
    await container.records.create(other, _note("other's own"))  # other has a dk:1 too
    moved = await container.records.create(owner, _note("Diagnosis X"))
    ident = moved.id.bytes if fresh_settings.embedded else moved.id
    other_id = other.id.bytes if fresh_settings.embedded else other.id
    async with container.engine.begin() as conn:
        await conn.execute(
            text("UPDATE health_record SET patient_id = :p WHERE id = :r"),
            {"p": other_id, "r": ident},
        )
    caplog.set_level(logging.ERROR)
    with pytest.raises(StoredDataUnreadable) as caught:
        await container.records.get(other, moved.id)
    assert "Diagnosis" not in str(caught.value)
    assert "Diagnosis" not in caplog.text
    assert "stored field failed to decrypt" in caplog.text
    assert (await container.records.list(owner, limit=10)).items == []
    await container.aclose()


async def test_a_wrong_master_key_fails_loudly_at_start_up_and_on_read(
    fresh_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    right = _ring("m1")
    before = build_container(dataclasses.replace(fresh_settings, encryption_keys=right))
    patient = await add_user(before, Role.PATIENT)
    record = await before.records.create(patient, _note("kept"))
    await before.aclose()

    wrong = _ring("m1")  # same id, other bytes
    after = build_container(dataclasses.replace(fresh_settings, encryption_keys=wrong))
    with pytest.raises(MasterKeyMissing, match="'m1'"):
        await after.verify_master_keys()
    caplog.set_level(logging.ERROR)
    with pytest.raises(StoredDataUnreadable):
        await after.records.get(patient, record.id)
    assert "did not unwrap a data key" in _reasons(caplog)
    await after.aclose()


async def test_a_missing_master_key_fails_loudly_at_start_up_and_on_read(
    fresh_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    old = _ring("m1")
    before = build_container(dataclasses.replace(fresh_settings, encryption_keys=old))
    patient = await add_user(before, Role.PATIENT)
    record = await before.records.create(patient, _note("kept"))
    await before.aclose()

    after = build_container(dataclasses.replace(fresh_settings, encryption_keys=_ring("m2")))
    with pytest.raises(MasterKeyMissing, match="'m1' is not configured"):
        await after.verify_master_keys()
    caplog.set_level(logging.ERROR)
    with pytest.raises(StoredDataUnreadable):
        await after.records.get(patient, record.id)
    assert "'m1' is not configured" in _reasons(caplog)
    await after.aclose()


async def test_rotate_data_keys_re_encrypts_each_file_under_a_fresh_key(
    fresh_settings: Settings,
) -> None:
    container = build_container(fresh_settings)
    patient = await add_user(container, Role.PATIENT)
    doctor = await add_user(container, Role.DOCTOR)
    await container.assignments.assign(patient, doctor.id)
    made = []
    for i in range(3):
        record = await container.records.create(patient, _note(f"t{i}"))
        await container.annotations.annotate(doctor, record.id, f"b{i}")
        change = RecordChanges(title=f"u{i}", record_type=RecordType.NOTE, content="c")
        await container.records.update(patient, record.id, change)
        made.append(record)
    stranger = await add_user(container, Role.DOCTOR)
    reason = "Unconscious in the ER, allergies unknown"
    grant = await container.emergency_access.open(stranger, patient.id, reason)
    first = await _stored_keys(container, fresh_settings)
    from datetime import UTC, datetime

    report = await container.rotate_encryption_keys(2, data_keys_before=datetime.now(UTC))
    assert report.data_keys_replaced == 1
    assert (report.records_rotated, report.annotations_rotated) == (3, 3)
    assert report.record_versions_rotated == 3
    assert report.emergency_reasons_rotated == 1
    assert report.data_keys_retired == 1
    assert report.unreadable == []
    second = await _stored_keys(container, fresh_settings)
    assert [k.ref for k in second] == ["dk:2"]
    assert second[0].wrapped != first[0].wrapped
    # Every row reads under the new key; the old one is gone.
    page = await container.records.list(patient, limit=10)
    assert sorted(r.title for r in page.items) == ["u0", "u1", "u2"]
    for i, record in enumerate(made):
        assert (await container.record_history.get(patient, record.id, 1)).title == f"t{i}"
        notes = await container.annotations.for_record(patient, record.id)
        assert [n.body for n in notes.items] == [f"b{i}"]
    page_of_grants = await container.emergency_access.list(
        await add_user(container, Role.ADMIN), 10, None
    )
    assert [(g.id, g.reason) for g in page_of_grants.items] == [(grant.id, reason)]
    # Run again with the same cutoff (a resumed run): nothing left to do.
    again = await container.rotate_encryption_keys(
        2, data_keys_before=datetime.fromisoformat(report.data_keys_before or "")
    )
    assert (again.data_keys_replaced, again.records_rotated, again.data_keys_retired) == (0, 0, 0)
    await container.aclose()
