"""A whole session against real processes logging at DEBUG: no secret in any line.

Register, log in (and fail to), refresh, write and read records, assign,
annotate, get a notification over the WebSocket, provoke errors, log out;
then enrol in two-factor, sign in with codes (wrong and right), change the
password, and reset one by email through a real SMTP server.
Then every line the API server and the worker wrote is searched for the
passwords, the tokens and the health data used.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
import websockets

from healthrecords.config import Settings
from tests.faults.processes import ApiServer, Process, settings_env, start_api, start_worker
from tests.mailbox import Mailbox, body_of, smtp_server

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
async def processes(
    production_settings: Settings, tmp_path: Path, mailbox: Mailbox
) -> AsyncIterator[tuple[ApiServer, Process]]:
    env = settings_env(production_settings, log_level="DEBUG", smtp_url=mailbox.url)
    api = await start_api(env, tmp_path)
    worker = start_worker(env, tmp_path)
    await worker.wait_for_output("notification worker started")
    try:
        yield api, worker
    finally:
        await worker.stop()
        await api.stop()


def marker(what: str) -> str:
    return f"{what}-{secrets.token_hex(6)}"


async def test_no_password_token_or_health_data_in_any_log_line(
    processes: tuple[ApiServer, Process], mailbox: Mailbox
) -> None:
    api, worker = processes
    said: list[str] = []  # every secret the session used

    def keep(*values: str) -> None:
        said.extend(values)

    async with httpx.AsyncClient(base_url=api.base_url, timeout=30) as client:

        async def call(
            method: str, path: str, token: str | None = None, *, etag: str = "", **kw: Any
        ) -> Any:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            if etag:
                headers["If-Match"] = etag
            return await client.request(method, path, headers=headers, **kw)

        users: dict[str, dict[str, str]] = {}
        for role in ("patient", "doctor"):
            email = f"{marker(role)}@example.test"
            password = "Pw!" + marker("password") + "xY9"
            keep(password)
            made = await call(
                "POST",
                "/api/auth/register/",
                json={
                    "email": email,
                    "password": password,
                    "full_name": "Log Hygiene",
                    "role": role,
                },
            )
            assert made.status_code == 201, made.text
            wrong = "Wrong!" + marker("password")
            keep(wrong)
            bad = await call("POST", "/api/auth/login/", json={"email": email, "password": wrong})
            assert bad.status_code == 401
            pair = (
                await call("POST", "/api/auth/login/", json={"email": email, "password": password})
            ).json()
            keep(pair["access_token"], pair["refresh_token"])
            fresh = (
                await call(
                    "POST", "/api/auth/refresh/", json={"refresh_token": pair["refresh_token"]}
                )
            ).json()
            keep(fresh["access_token"], fresh["refresh_token"])
            users[role] = {"id": made.json()["id"], "email": email, "password": password, **fresh}

        patient, doctor = users["patient"]["access_token"], users["doctor"]["access_token"]
        title, content = marker("Title-HIV-status"), marker("Content-diagnosis")
        keep(title, content)
        record = await call(
            "POST",
            "/api/records/",
            patient,
            json={"title": title, "record_type": "condition", "content": content},
        )
        assert record.status_code == 201, record.text
        record_id = record.json()["id"]
        assigned = await call(
            "POST", "/api/assignments/", patient, json={"doctor_id": users["doctor"]["id"]}
        )
        assert assigned.status_code == 201

        async with websockets.connect(f"{api.ws_url}/api/ws/notifications/") as ws:
            await ws.send(json.dumps({"type": "auth", "token": doctor}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "ready"
            await ws.send(json.dumps({"type": "resume", "after": None}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "notification"

        # A token where clients are tempted to put one: the socket URL's query
        # string, the handshake's Authorization and Cookie headers.
        cookie = marker("cookie")
        keep(cookie)
        async with websockets.connect(
            f"{api.ws_url}/api/ws/notifications/?token={doctor}&access_token={doctor}"
        ) as ws:
            await ws.send(json.dumps({"type": "auth", "token": doctor}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "ready"
        async with websockets.connect(
            f"{api.ws_url}/api/ws/notifications/",
            additional_headers={"Authorization": f"Bearer {doctor}", "Cookie": f"s={cookie}"},
        ) as ws:
            await ws.send(json.dumps({"type": "auth", "token": doctor}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "ready"
        query_value = marker("query-value")
        keep(query_value)
        for path in (f"/health?secret={query_value}", f"/api/records/?cursor={query_value}"):
            await client.get(path, headers={"Authorization": f"Bearer {patient}"})
        await client.get("/api/auth/me/", headers={"Cookie": f"session={cookie}"})

        assert (await call("GET", f"/api/records/{record_id}/", doctor)).status_code == 200
        note = marker("Annotation-body")
        keep(note)
        annotated = await call(
            "POST", "/api/doctors/annotations/", doctor, json={"record_id": record_id, "body": note}
        )
        assert annotated.status_code == 201
        by_doctor_title, by_doctor_content = marker("Title-BP"), marker("Content-BP")
        keep(by_doctor_title, by_doctor_content)
        added = await call(
            "POST",
            "/api/records/",
            doctor,
            json={
                "title": by_doctor_title,
                "record_type": "vital_sign",
                "content": by_doctor_content,
                "patient_id": users["patient"]["id"],
            },
        )
        assert added.status_code == 201
        changed_title, changed_content = marker("Title-changed"), marker("Content-changed")
        keep(changed_title, changed_content)
        stale = await call(
            "PUT",
            f"/api/records/{record_id}/",
            patient,
            json={"title": changed_title, "record_type": "condition", "content": changed_content},
            etag='"999"',
        )
        assert stale.status_code == 412
        ok = await call(
            "PUT",
            f"/api/records/{record_id}/",
            patient,
            json={"title": changed_title, "record_type": "condition", "content": changed_content},
            etag='"1"',
        )
        assert ok.status_code == 200, ok.text
        for path in ("/api/records/", "/api/notifications/", "/api/records/access-log/"):
            assert (await call("GET", path, patient)).status_code == 200
        invalid = await call(
            "POST", "/api/records/", patient, json={"title": content, "record_type": "nonsense"}
        )
        assert invalid.status_code == 400
        forged = "eyJhbGciOiJIUzI1NiJ9." + marker("forged") + ".sig"
        keep(forged)
        assert (await call("GET", "/api/auth/me/", forged)).status_code == 401
        assert (await call("DELETE", f"/api/records/{record_id}/", patient)).status_code == 204
        for role in ("patient", "doctor"):
            out = await call(
                "POST",
                "/api/auth/logout/",
                users[role]["access_token"],
                json={"refresh_token": users[role]["refresh_token"]},
            )
            assert out.status_code == 204
        await account_security(call, users, mailbox, keep)

    await worker.stop()
    await api.stop()
    lines = (api.output() + worker.output()).splitlines()
    assert any(re.search(r'"level":\s*"DEBUG"', line) for line in lines), "DEBUG logging was not on"
    leaks = [(s[:24], line[:200]) for line in lines for s in said if s in line]
    assert not leaks, leaks
    tokens = [line[:200] for line in lines if JWT.search(line)]
    assert not tokens, tokens


Call = Callable[..., Awaitable[Any]]


async def account_security(
    call: Call, users: dict[str, dict[str, str]], mailbox: Mailbox, keep: Callable[..., None]
) -> None:
    """Two-factor enrolment and sign-in, a password change and a reset by email."""
    email, password = users["patient"]["email"], users["patient"]["password"]
    pair = (
        await call("POST", "/api/auth/login/", json={"email": email, "password": password})
    ).json()
    keep(pair["access_token"], pair["refresh_token"])
    token = pair["access_token"]
    enrolment = (await call("POST", "/api/auth/mfa/totp/", token)).json()
    keep(enrolment["secret"], enrolment["otpauth_uri"])
    first = pyotp.TOTP(enrolment["secret"]).now()
    keep(first)
    confirmed = await call("POST", "/api/auth/mfa/totp/confirm/", token, json={"code": first})
    assert confirmed.status_code == 200, confirmed.text
    recovery = confirmed.json()["recovery_codes"]
    keep(*recovery)
    challenge = await call("POST", "/api/auth/login/", json={"email": email, "password": password})
    mfa_token = challenge.json()["mfa_token"]
    keep(mfa_token)
    wrong = recovery[0][::-1]
    keep(wrong)
    bad = await call("POST", "/api/auth/mfa/verify/", json={"mfa_token": mfa_token, "code": wrong})
    assert bad.status_code == 401
    verified = await call(
        "POST", "/api/auth/mfa/verify/", json={"mfa_token": mfa_token, "code": recovery[1]}
    )
    assert verified.status_code == 200, verified.text
    keep(verified.json()["access_token"], verified.json()["refresh_token"])
    changed_to = "Pw!" + marker("changed") + "xY9"
    keep(changed_to)
    changed = await call(
        "POST",
        "/api/auth/password/",
        verified.json()["access_token"],
        json={"current_password": password, "new_password": changed_to},
    )
    assert changed.status_code == 204, changed.text
    asked = await call("POST", "/api/auth/password-reset/", json={"email": email})
    assert asked.status_code == 202
    mails = await mailbox.wait_for(email, 3)  # two-factor on, password changed, reset
    reset_mail = next(m for m in mails if m["Subject"] == "Reset your password")
    found = re.search(r"good once\):\s+(\S+)", body_of(reset_mail))
    assert found is not None
    keep(found.group(1))
    reset_to = "Pw!" + marker("reset") + "xY9"
    keep(reset_to)
    done = await call(
        "POST",
        "/api/auth/password-reset/confirm/",
        json={"token": found.group(1), "new_password": reset_to},
    )
    assert done.status_code == 204, done.text
    # The "password changed" notice after the reset goes out through the worker too.
    await mailbox.wait_for(email, 4)
