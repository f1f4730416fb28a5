"""Sign-ins, refresh-token reuse, logout and deactivation are in the audit (issue 13, item 5).

Each event names the account as target when it exists, its outcome and the
client address, and never the password or a token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.api.conftest import MakeUser, TestUser

Client = AsyncTestClient[Litestar]
LOGIN = "/api/auth/login/"


async def events_of(
    client: Client, admin: TestUser, since: datetime, request_ids: set[str]
) -> list[dict[str, Any]]:
    """Every audit event since `since` written by one of these requests, oldest first."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"since": since.isoformat(), "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/audit/", params=params, headers=admin.headers)).json()
        found += [e for e in page["items"] if e["request_id"] in request_ids]
        if not (cursor := page["next_cursor"]):
            return list(reversed(found))


def rid(response: httpx.Response) -> str:
    return response.headers["x-request-id"]


async def test_logins_and_each_kind_of_failure_are_audited(
    client: Client, make_user: MakeUser
) -> None:
    since = datetime.now(UTC)
    user, admin = await make_user(Role.PATIENT), await make_user(Role.ADMIN)
    gone = await make_user(Role.DOCTOR)
    off = await client.patch(
        f"/api/users/{gone.id}/", json={"is_active": False}, headers=admin.headers
    )
    assert off.status_code == 200

    ok = await client.post(LOGIN, json={"email": user.email, "password": user.password})
    wrong = await client.post(LOGIN, json={"email": user.email, "password": "Not-The-Password-1"})
    nobody = await client.post(
        LOGIN, json={"email": "nobody-here@example.test", "password": "Whatever-it-is-1"}
    )
    inactive = await client.post(LOGIN, json={"email": gone.email, "password": gone.password})
    assert [r.status_code for r in (ok, wrong, nobody, inactive)] == [200, 401, 401, 401]

    ids = {rid(r): r for r in (ok, wrong, nobody, inactive, off)}
    got = {e["request_id"]: e for e in await events_of(client, admin, since, set(ids))}
    summary = {
        name: (got[rid(r)]["action"], got[rid(r)]["outcome"], got[rid(r)]["target_id"])
        for name, r in (("ok", ok), ("wrong", wrong), ("nobody", nobody), ("inactive", inactive))
    }
    assert summary == {
        "ok": ("auth.login", "success", str(user.id)),
        "wrong": ("auth.login.bad_password", "denied", str(user.id)),
        "nobody": ("auth.login.unknown_account", "not_found", None),
        "inactive": ("auth.login.inactive", "denied", str(gone.id)),
    }
    assert got[rid(ok)]["actor_id"] == str(user.id)
    assert got[rid(wrong)]["actor_id"] is None
    assert all(e["client_address"] == "testclient" for e in got.values())
    assert got[rid(off)]["action"] == "user.deactivate"
    assert got[rid(off)]["target_id"] == str(gone.id)
    text = str(got)
    for secret in (user.password, gone.password, "Not-The-Password-1", "nobody-here"):
        assert secret not in text
    assert ok.json()["access_token"] not in text
    assert ok.json()["refresh_token"] not in text


async def test_a_locked_out_login_is_audited(
    client: Client, make_user: MakeUser, settings: Settings
) -> None:
    since = datetime.now(UTC)
    user, admin = await make_user(Role.PATIENT), await make_user(Role.ADMIN)
    for _ in range(settings.login_max_failures):
        wrong = await client.post(LOGIN, json={"email": user.email, "password": "Nope-nope-123"})
        assert wrong.status_code == 401
    locked = await client.post(LOGIN, json={"email": user.email, "password": user.password})
    assert locked.status_code == 429
    (event,) = await events_of(client, admin, since, {rid(locked)})
    assert (event["action"], event["outcome"], event["target_id"]) == (
        "auth.login.locked",
        "denied",
        str(user.id),
    )


async def test_refresh_reuse_and_logout_are_audited(client: Client, make_user: MakeUser) -> None:
    since = datetime.now(UTC)
    user, admin = await make_user(Role.DOCTOR), await make_user(Role.ADMIN)
    pair = (await client.post(LOGIN, json={"email": user.email, "password": user.password})).json()
    first = await client.post("/api/auth/refresh/", json={"refresh_token": pair["refresh_token"]})
    assert first.status_code == 200
    reused = await client.post("/api/auth/refresh/", json={"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401
    fresh = (await client.post(LOGIN, json={"email": user.email, "password": user.password})).json()
    bearer = {"Authorization": f"Bearer {fresh['access_token']}"}
    out = await client.post(
        "/api/auth/logout/", json={"refresh_token": fresh["refresh_token"]}, headers=bearer
    )
    assert out.status_code == 204

    got = {
        e["request_id"]: e for e in await events_of(client, admin, since, {rid(reused), rid(out)})
    }
    reuse, logout = got[rid(reused)], got[rid(out)]
    assert (reuse["action"], reuse["outcome"], reuse["target_id"]) == (
        "auth.refresh.reuse",
        "denied",
        str(user.id),
    )
    assert reuse["actor_id"] is None
    assert (logout["action"], logout["outcome"], logout["actor_id"], logout["target_id"]) == (
        "auth.logout",
        "success",
        str(user.id),
        str(user.id),
    )
    for token in (pair["refresh_token"], fresh["refresh_token"], fresh["access_token"]):
        assert token not in str(got)
