"""Cursors, datetimes and token times at the edge of what Python can hold are 4xx, never 500.

Found in issue 10: a keyset cursor with a naive or unrepresentable timestamp,
`0001-01-01T00:00:00+14:00` as `recorded_at`/`since`/`until`, and a correctly
signed JWT with `exp` of 1e20 all answered 500.
"""

from __future__ import annotations

import base64
import json
from uuid import uuid4

import jwt
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.api.conftest import MakeUser

Client = AsyncTestClient[Litestar]
PROBLEM = "application/problem+json"

# (path, role that may call it)
PAGED = [
    ("/api/records/", Role.PATIENT),
    ("/api/records/access-log/", Role.PATIENT),
    ("/api/doctors/", Role.PATIENT),
    ("/api/users/", Role.ADMIN),
    ("/api/audit/", Role.ADMIN),
    ("/api/notifications/", Role.PATIENT),
    ("/api/doctors/notifications/", Role.DOCTOR),
]

EXTREME_TIMES = [
    "0001-01-01T00:00:00+14:00",  # before datetime.min once in UTC
    "9999-12-31T23:59:59-14:00",  # after datetime.max once in UTC
]
BAD_CURSOR_TIMES = ["2026-01-01T00:00:00", *EXTREME_TIMES]


def cursor_for(at: object) -> str:
    raw = json.dumps([at, str(uuid4())]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def assert_refused(response: object, *statuses: int) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    assert status in statuses, (status, response.text)  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]


@pytest.mark.parametrize("at", BAD_CURSOR_TIMES)
@pytest.mark.parametrize(("path", "role"), PAGED)
async def test_a_cursor_with_an_unusable_time_is_refused(
    client: Client, make_user: MakeUser, path: str, role: Role, at: str
) -> None:
    user = await make_user(role)
    response = await client.get(path, params={"cursor": cursor_for(at)}, headers=user.headers)
    assert_refused(response, 400, 422)
    assert response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("at", EXTREME_TIMES)
async def test_an_extreme_recorded_at_is_refused_and_stores_nothing(
    client: Client, make_user: MakeUser, at: str
) -> None:
    patient = await make_user(Role.PATIENT)
    body = {"title": "t", "record_type": "note", "content": "c", "recorded_at": at}
    response = await client.post("/api/records/", json=body, headers=patient.headers)
    assert_refused(response, 400, 422)
    listed = await client.get("/api/records/", headers=patient.headers)
    assert listed.json()["items"] == []


@pytest.mark.parametrize("at", EXTREME_TIMES)
async def test_an_extreme_recorded_at_on_update_is_refused(
    client: Client, make_user: MakeUser, at: str
) -> None:
    patient = await make_user(Role.PATIENT)
    body = {"title": "t", "record_type": "note", "content": "c"}
    created = await client.post("/api/records/", json=body, headers=patient.headers)
    assert created.status_code == 201, created.text
    record = created.json()
    response = await client.put(
        f"/api/records/{record['id']}/", json={**body, "recorded_at": at}, headers=patient.headers
    )
    assert_refused(response, 400, 422)
    again = await client.get(f"/api/records/{record['id']}/", headers=patient.headers)
    assert again.json()["recorded_at"] == record["recorded_at"]


@pytest.mark.parametrize("at", EXTREME_TIMES)
@pytest.mark.parametrize("name", ["since", "until"])
async def test_an_extreme_audit_bound_is_refused(
    client: Client, make_user: MakeUser, name: str, at: str
) -> None:
    admin = await make_user(Role.ADMIN)
    response = await client.get("/api/audit/", params={name: at}, headers=admin.headers)
    assert_refused(response, 400, 422)


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("value", [1e20, -1e20, 10**20])
async def test_a_signed_token_with_absurd_times_is_401(
    client: Client, make_user: MakeUser, settings: Settings, claim: str, value: float
) -> None:
    user = await make_user(Role.PATIENT)
    claims = jwt.decode(user.token, options={"verify_signature": False})
    kid = settings.jwt_keys.current
    forged = jwt.encode(
        {**claims, claim: value}, settings.jwt_keys.keys[kid], "HS256", headers={"kid": kid}
    )
    response = await client.get("/api/auth/me/", headers={"Authorization": f"Bearer {forged}"})
    assert_refused(response, 401)
