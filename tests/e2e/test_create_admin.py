"""`healthrecords create-admin` as a real process; the admin then signs in over HTTP."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pyotp
from litestar.testing import AsyncTestClient

from healthrecords.config import load_settings
from healthrecords.entrypoints.http.app import create_app

PASSWORD = "Admin-Pass-For-Tests-7"


async def create_admin(
    data_dir: Path, email: str, password: str, *extra: str
) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHRECORDS_")}
    env["HEALTHRECORDS_DATA_DIR"] = str(data_dir)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "healthrecords.entrypoints.cli",
        "create-admin",
        "--email",
        email,
        "--password-stdin",
        *extra,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=data_dir,
    )
    out, err = await asyncio.wait_for(process.communicate(f"{password}\n".encode()), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_create_admin_with_totp_then_sign_in_with_a_code(tmp_path: Path) -> None:
    code, out, err = await create_admin(tmp_path, "Chief@Example.org", PASSWORD, "--totp")
    assert code == 0, err
    assert "chief@example.org" in out
    assert PASSWORD not in out + err
    uri = next(line for line in out.splitlines() if line.startswith("otpauth://totp/"))
    recovery = [
        line for line in out.splitlines() if re.fullmatch(r"([A-Z2-7]{4}-){5}[A-Z2-7]{4}", line)
    ]
    assert len(recovery) == 10

    settings = load_settings({"HEALTHRECORDS_DATA_DIR": str(tmp_path)})
    async with AsyncTestClient(create_app(settings)) as client:
        login = await client.post(
            "/api/auth/login/", json={"email": "chief@example.org", "password": PASSWORD}
        )
        assert login.status_code == 200
        assert login.json()["mfa_required"] is True
        verified = await client.post(
            "/api/auth/mfa/verify/",
            json={"mfa_token": login.json()["mfa_token"], "code": pyotp.parse_uri(uri).now()},
        )
        assert verified.status_code == 200, verified.text
        token = verified.json()["access_token"]
        me = await client.get("/api/auth/me/", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["role"] == "admin"
        users = await client.get("/api/users/", headers={"Authorization": f"Bearer {token}"})
        assert users.status_code == 200


async def test_an_admin_without_totp_must_enrol_first(tmp_path: Path) -> None:
    code, out, err = await create_admin(tmp_path, "second@example.org", PASSWORD)
    assert code == 0, err
    assert "POST /api/auth/mfa/totp/" in out
    settings = load_settings({"HEALTHRECORDS_DATA_DIR": str(tmp_path)})
    async with AsyncTestClient(create_app(settings)) as client:
        login = await client.post(
            "/api/auth/login/", json={"email": "second@example.org", "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        refused = await client.get("/api/users/", headers=headers)
        assert refused.status_code == 403
        assert "Two-factor" in refused.json()["detail"]
        started = await client.post("/api/auth/mfa/totp/", headers=headers)
        assert started.status_code == 201
        secret = started.json()["secret"]
        confirmed = await client.post(
            "/api/auth/mfa/totp/confirm/", json={"code": pyotp.TOTP(secret).now()}, headers=headers
        )
        assert confirmed.status_code == 200
        assert (await client.get("/api/users/", headers=headers)).status_code == 200


async def test_create_admin_refuses_weak_passwords_and_duplicates(tmp_path: Path) -> None:
    code, _, err = await create_admin(tmp_path, "boss@example.org", "password")
    assert code == 1
    assert "password" in err
    assert (await create_admin(tmp_path, "boss@example.org", PASSWORD))[0] == 0
    code, _, err = await create_admin(tmp_path, "BOSS@example.org", PASSWORD)
    assert code == 1
    assert "already exists" in err
