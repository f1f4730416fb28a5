"""No password or token text reaches any log line during an auth session."""

from __future__ import annotations

import logging

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.domain.services.auth import token_digest
from healthrecords.domain.users import Role
from healthrecords.entrypoints.logs import JsonFormatter
from tests.api.conftest import MakeUser
from tests.api.test_auth import bearer, new_email, strong_password


async def test_no_secret_appears_in_any_log_line(
    client: AsyncTestClient[Litestar], make_user: MakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    email, password = new_email(), strong_password()
    secrets_seen: list[str] = [password]
    registered = await client.post(
        "/api/auth/register/",
        json={"email": email, "password": password, "full_name": "Log Test", "role": "patient"},
    )
    assert registered.status_code == 201
    wrong = "Wrong-" + password
    secrets_seen.append(wrong)
    assert (
        await client.post("/api/auth/login/", json={"email": email, "password": wrong})
    ).status_code == 401
    pair = (
        await client.post("/api/auth/login/", json={"email": email, "password": password})
    ).json()
    secrets_seen += [pair["access_token"], pair["refresh_token"]]
    assert (await client.get("/api/auth/me/", headers=bearer(pair["access_token"]))).is_success
    rotated = (
        await client.post("/api/auth/refresh/", json={"refresh_token": pair["refresh_token"]})
    ).json()
    secrets_seen += [rotated["access_token"], rotated["refresh_token"]]
    replay = await client.post("/api/auth/refresh/", json={"refresh_token": pair["refresh_token"]})
    assert replay.status_code == 401
    second = (
        await client.post("/api/auth/login/", json={"email": email, "password": password})
    ).json()
    secrets_seen += [second["access_token"], second["refresh_token"]]
    logout = await client.post(
        "/api/auth/logout/",
        json={"refresh_token": second["refresh_token"]},
        headers=bearer(second["access_token"]),
    )
    assert logout.status_code == 204
    admin = await make_user(role=Role.ADMIN)
    secrets_seen.append(admin.token)
    assert (await client.get("/api/users/", headers=admin.headers)).status_code == 200
    bad = "Bearer not.a.token-" + password
    assert (await client.get("/api/auth/me/", headers={"Authorization": bad})).status_code == 401

    secrets_seen += [token_digest(t) for t in (pair["refresh_token"], rotated["refresh_token"])]
    formatter = JsonFormatter()
    assert caplog.records, "the session logged nothing at all"
    for record in caplog.records:
        lines = (formatter.format(record), record.getMessage(), repr(record.__dict__))
        for secret in secrets_seen:
            assert all(secret not in line for line in lines), record.getMessage()
        # Only the first 16 characters, in case a log line cut a token short.
        for secret in secrets_seen:
            assert all(secret[:16] not in line for line in lines), record.getMessage()
