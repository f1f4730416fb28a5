"""Property-based fuzzing of cursors, datetimes and token times, on both backends.

Every answer is the right one: usable input is served, anything else is a
400/422 (401 for a token) problem+json document naming the field, and never a
5xx. HEALTHRECORDS_FUZZ_EXAMPLES raises the examples per property.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import httpx
import jwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.fuzz import strategies
from tests.people import SeededUser

Client = AsyncTestClient[Litestar]
PROBLEM = "application/problem+json"
EXAMPLES = max(25, int(os.environ.get("HEALTHRECORDS_FUZZ_EXAMPLES", "12")) * 3)
RANDOM = os.environ.get("HEALTHRECORDS_FUZZ_RANDOM") == "1"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not RANDOM,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PAGED = [
    ("/api/records/", Role.PATIENT),
    ("/api/records/access-log/", Role.PATIENT),
    ("/api/doctors/", Role.PATIENT),
    ("/api/users/", Role.ADMIN),
    ("/api/audit/", Role.ADMIN),
    ("/api/notifications/", Role.PATIENT),
    ("/api/doctors/notifications/", Role.DOCTOR),
]
# These look the cursor's id up in the caller's inbox: a made-up one is refused.
BY_ID = {"/api/notifications/", "/api/doctors/notifications/"}


def refused(response: httpx.Response, field: str, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == response.status_code
    if statuses != (401,):
        assert field in {e["field"] for e in body["errors"]}, body


@given(page=st.sampled_from(PAGED), cursor=strategies.cursors)
@FUZZ
async def test_any_cursor_is_served_or_refused_cleanly(
    client: Client,
    fuzz_people: dict[Role, SeededUser],
    page: tuple[str, Role],
    cursor: tuple[str, bool],
) -> None:
    (path, role), (token, ours) = page, cursor
    response = await client.get(path, params={"cursor": token}, headers=fuzz_people[role].headers)
    if ours and path not in BY_ID:
        assert response.status_code == 200, response.text
    else:
        refused(response, "cursor", 400, 422)


@given(name=st.sampled_from(["since", "until"]), at=strategies.extreme_datetimes)
@FUZZ
async def test_any_audit_bound_is_served_or_refused_cleanly(
    client: Client, fuzz_people: dict[Role, SeededUser], name: str, at: datetime
) -> None:
    response = await client.get(
        "/api/audit/", params={name: at.isoformat()}, headers=fuzz_people[Role.ADMIN].headers
    )
    if strategies.usable(at):
        assert response.status_code == 200, response.text
    else:
        refused(response, name, 400, 422)


@given(at=strategies.extreme_datetimes)
@FUZZ
async def test_any_recorded_at_is_stored_exactly_or_refused_cleanly(
    client: Client, fuzz_people: dict[Role, SeededUser], at: datetime
) -> None:
    body = {"title": "t", "record_type": "note", "content": "c", "recorded_at": at.isoformat()}
    headers = fuzz_people[Role.PATIENT].headers
    response = await client.post("/api/records/", json=body, headers=headers)
    if strategies.usable(at):
        assert response.status_code == 201, response.text
        stored = datetime.fromisoformat(response.json()["recorded_at"])
        assert stored == at
    else:
        refused(response, "recorded_at", 400, 422)


@given(claim=st.sampled_from(["exp", "iat", "nbf"]), value=strategies.claim_times)
@FUZZ
async def test_a_signed_token_with_any_time_claim_is_served_or_401(
    client: Client,
    fuzz_people: dict[Role, SeededUser],
    settings: Settings,
    claim: str,
    value: Any,
) -> None:
    claims = jwt.decode(fuzz_people[Role.PATIENT].token, options={"verify_signature": False})
    kid = settings.jwt_keys.current
    forged = jwt.encode(
        {**claims, claim: value}, settings.jwt_keys.keys[kid], "HS256", headers={"kid": kid}
    )
    response = await client.get("/api/auth/me/", headers={"Authorization": f"Bearer {forged}"})
    if response.status_code != 200:
        refused(response, claim, 401)
