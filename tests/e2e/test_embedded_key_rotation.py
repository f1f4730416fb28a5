"""`rotate-keys` on an embedded data dir, then a restart with no settings at all."""

from __future__ import annotations

import base64
import json
import secrets
import stat
from pathlib import Path

from litestar.testing import AsyncTestClient

from healthrecords.config import load_settings
from healthrecords.entrypoints.http.app import create_app
from tests.e2e.test_cli import run_cli

PASSWORD = "Rotation-Pass-For-Tests-7"


def in_dir(data_dir: Path) -> dict[str, str]:
    return {"HEALTHRECORDS_DATA_DIR": str(data_dir)}


def restarted(data_dir: Path) -> AsyncTestClient:  # type: ignore[type-arg]
    """The app as a plain `healthrecords serve` in that dir would build it."""
    return AsyncTestClient(create_app(load_settings({"HEALTHRECORDS_DATA_DIR": str(data_dir)})))


async def write_a_record(data_dir: Path) -> tuple[str, str]:
    # What `serve` does first in embedded mode.
    assert run_cli("migrate", cwd=data_dir, HEALTHRECORDS_DATA_DIR=str(data_dir)).returncode == 0
    email = f"rot-{secrets.token_hex(4)}@example.org"
    async with restarted(data_dir) as client:
        registered = await client.post(
            "/api/auth/register/",
            json={"email": email, "password": PASSWORD, "full_name": "Pat", "role": "patient"},
        )
        assert registered.status_code == 201, registered.text
        login = await client.post("/api/auth/login/", json={"email": email, "password": PASSWORD})
        token = login.json()["access_token"]
        created = await client.post(
            "/api/records/",
            json={"title": "Blood test", "record_type": "lab_result", "content": "Hb 14.1"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201, created.text
        return email, created.json()["id"]


async def read_back(data_dir: Path, email: str, record_id: str) -> dict[str, str]:
    async with restarted(data_dir) as client:
        login = await client.post("/api/auth/login/", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200
        token = login.json()["access_token"]
        read = await client.get(
            f"/api/records/{record_id}/", headers={"Authorization": f"Bearer {token}"}
        )
        assert read.status_code == 200, read.text
        body: dict[str, str] = read.json()
        return body


def stored_ring(data_dir: Path) -> list[str]:
    path = data_dir / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return [
        part.split(":")[0] for part in json.loads(path.read_text())["encryption_keys"].split(",")
    ]


async def test_rotate_keys_new_key_stores_it_and_a_plain_restart_reads_everything(
    tmp_path: Path,
) -> None:
    email, record_id = await write_a_record(tmp_path)

    rotated = run_cli(
        "rotate-keys", "--new-key", cwd=tmp_path, HEALTHRECORDS_DATA_DIR=str(tmp_path)
    )

    assert rotated.returncode == 0, rotated.stderr
    report = json.loads(rotated.stdout)
    assert report["current_key_id"] == "enc2"
    # The patient's data key is rewrapped under the new master key.
    assert report["data_keys_rewrapped"] == 1
    assert report["unreadable"] == []
    assert stored_ring(tmp_path) == ["enc2", "enc1"]
    assert (await read_back(tmp_path, email, record_id))["content"] == "Hb 14.1"
    # Again: a third key, and every row moves to it.
    again = run_cli("rotate-keys", "--new-key", cwd=tmp_path, **in_dir(tmp_path))
    assert json.loads(again.stdout)["current_key_id"] == "enc3"
    assert json.loads(again.stdout)["data_keys_rewrapped"] == 1
    assert stored_ring(tmp_path) == ["enc3", "enc2", "enc1"]
    assert (await read_back(tmp_path, email, record_id))["content"] == "Hb 14.1"


async def test_a_ring_given_in_the_environment_is_stored_before_rotating(tmp_path: Path) -> None:
    # The reported failure: enc2 given only for the run, secrets.json kept enc1 alone.
    email, record_id = await write_a_record(tmp_path)
    old = json.loads((tmp_path / "secrets.json").read_text())["encryption_keys"]
    new = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()

    rotated = run_cli(
        "rotate-keys",
        cwd=tmp_path,
        HEALTHRECORDS_DATA_DIR=str(tmp_path),
        HEALTHRECORDS_ENCRYPTION_KEYS=f"enc2:{new},{old}",
    )

    assert rotated.returncode == 0, rotated.stderr
    assert json.loads(rotated.stdout)["data_keys_rewrapped"] == 1
    assert stored_ring(tmp_path) == ["enc2", "enc1"]
    assert (await read_back(tmp_path, email, record_id))["content"] == "Hb 14.1"


async def test_new_key_is_refused_when_the_environment_gives_keys(tmp_path: Path) -> None:
    await write_a_record(tmp_path)
    before = (tmp_path / "secrets.json").read_text()
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()

    refused = run_cli(
        "rotate-keys",
        "--new-key",
        cwd=tmp_path,
        HEALTHRECORDS_DATA_DIR=str(tmp_path),
        HEALTHRECORDS_ENCRYPTION_KEYS=f"mine:{key}",
    )

    assert refused.returncode == 2
    assert "unset HEALTHRECORDS_ENCRYPTION_KEYS" in refused.stderr
    assert (tmp_path / "secrets.json").read_text() == before
