"""The documented backup procedure: after an erasure, `rotate-keys` under a new
master key and dropping the old one make a copy taken before the erasure
unreadable (README, Erasure and backups)."""

from __future__ import annotations

import dataclasses
import secrets
import shutil
from pathlib import Path

import pytest

from healthrecords.bootstrap import build_container
from healthrecords.config import KeyRing, Settings
from healthrecords.domain.errors import NotFound, StoredDataUnreadable
from healthrecords.domain.records import RecordType
from healthrecords.domain.services.record_inputs import NewRecord
from healthrecords.domain.users import Role
from tests import servers
from tests.people import add_user


async def _backup(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    if settings.embedded:
        source = Path(settings.database_url.split("///", 1)[1])
        copy = tmp_path / "backup.db"
        shutil.copyfile(source, copy)
        url = f"sqlite+aiosqlite:///{copy}"
    else:
        server = request.getfixturevalue("postgres_server")
        url = await servers.copy_database(server, settings.database_url)
    return dataclasses.replace(settings, database_url=url)


async def test_retiring_the_old_master_key_reaches_backups_taken_before_an_erasure(
    fresh_settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    old_key, new_key = secrets.token_bytes(32), secrets.token_bytes(32)
    old = KeyRing(current="m1", keys={"m1": old_key})
    both = KeyRing(current="m2", keys={"m2": new_key, "m1": old_key})
    only_new = KeyRing(current="m2", keys={"m2": new_key})
    note = NewRecord(title="Diagnosis", record_type=RecordType.CONDITION, content="c")

    live = build_container(dataclasses.replace(fresh_settings, encryption_keys=old))
    erased, kept = await add_user(live, Role.PATIENT), await add_user(live, Role.PATIENT)
    admin = await add_user(live, Role.ADMIN)
    gone = await live.records.create(erased, note)
    stays = await live.records.create(kept, note)
    await live.aclose()
    backup = await _backup(fresh_settings, tmp_path, request)

    live = build_container(dataclasses.replace(fresh_settings, encryption_keys=old))
    await live.erasure.erase(admin, erased.id, None)
    await live.aclose()
    # While the old master key is still around, the backup still holds the file.
    copy = build_container(dataclasses.replace(backup, encryption_keys=old))
    assert (await copy.records.get(erased, gone.id)).title == "Diagnosis"
    await copy.aclose()

    # The procedure: a new master key first, rotate-keys, then drop the old one.
    live = build_container(dataclasses.replace(fresh_settings, encryption_keys=both))
    report = await live.rotate_encryption_keys()
    assert report.data_keys_rewrapped >= 1
    assert report.unreadable == []
    await live.aclose()

    live = build_container(dataclasses.replace(fresh_settings, encryption_keys=only_new))
    await live.verify_master_keys()  # the live database needs only the new key
    assert (await live.records.get(kept, stays.id)).title == "Diagnosis"
    with pytest.raises(NotFound):
        await live.records.get(erased, gone.id)
    await live.aclose()

    copy = build_container(dataclasses.replace(backup, encryption_keys=only_new))
    with pytest.raises(StoredDataUnreadable):
        await copy.records.get(erased, gone.id)
    await copy.aclose()
    if not fresh_settings.embedded:
        await servers.drop_database(request.getfixturevalue("postgres_server"), backup.database_url)
