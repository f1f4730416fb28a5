"""Sessions a user lists and ends, and password change (issue 15), on both backends.

Every login is a session; its access tokens carry its id (`sid`) and stop
within ACTIVE_USER_SECONDS of the session ending, on every replica, because
the check reads the database (a bounded per-process cache), not memory.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.bootstrap import build_container
from healthrecords.config import Settings
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.active_users import ACTIVE_USER_SECONDS
from healthrecords.entrypoints.http.app import create_app
from tests.api.conftest import MakeUser, TestUser
from tests.api.test_auth import bearer, login
from tests.api.test_sign_in_audit import events_of, rid
from tests.people import seed_user

Client = AsyncTestClient[Litestar]
SESSIONS = "/api/auth/sessions/"
PASSWORD = "/api/auth/password/"
SESSION_KEYS = {"id", "created_at", "last_used_at", "client_address", "user_agent", "current"}


async def sign_in(client: Client, user: TestUser, agent: str = "test-agent/1") -> dict[str, Any]:
    response = await client.post(
        "/api/auth/login/",
        json={"email": user.email, "password": user.password},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


def sid(pair: dict[str, Any]) -> str:
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    return str(claims["sid"])


async def stops_within_the_bound(client: Client, token: str) -> None:
    """The access token answers 401 within ACTIVE_USER_SECONDS (plus request time)."""
    started = time.monotonic()
    deadline = started + ACTIVE_USER_SECONDS + 3
    while (status := (await client.get("/api/auth/me/", headers=bearer(token))).status_code) != 401:
        assert status == 200
        assert time.monotonic() < deadline, "an ended session's access token still works"
        await asyncio.sleep(0.1)


async def still_works(client: Client, token: str) -> None:
    assert (await client.get("/api/auth/me/", headers=bearer(token))).status_code == 200


async def test_each_login_is_a_session_listed_with_the_current_one_marked(
    client: Client, make_user: MakeUser
) -> None:
    user = await make_user(Role.PATIENT)
    phone = await sign_in(client, user, "phone/1.0")
    laptop = await sign_in(client, user, "laptop/2.0")
    response = await client.get(SESSIONS, headers=bearer(laptop["access_token"]))
    assert response.status_code == 200
    body = response.json()
    mine = {s["id"]: s for s in body["items"]}
    assert {sid(phone), sid(laptop)} <= set(mine)
    assert all(set(s) == SESSION_KEYS for s in body["items"])
    assert mine[sid(laptop)]["current"] is True
    assert mine[sid(phone)]["current"] is False
    assert mine[sid(phone)]["user_agent"] == "phone/1.0"
    assert mine[sid(laptop)]["client_address"] == "testclient"
    # Nothing that could be replayed is shown.
    assert phone["refresh_token"] not in response.text
    assert phone["access_token"] not in response.text


async def test_sessions_page_newest_first_and_refresh_moves_last_used(
    client: Client, make_user: MakeUser
) -> None:
    user = await make_user(Role.DOCTOR)
    first, second = await sign_in(client, user), await sign_in(client, user)
    page = await client.get(SESSIONS, params={"limit": "1"}, headers=bearer(first["access_token"]))
    assert page.status_code == 200
    assert [s["id"] for s in page.json()["items"]] == [sid(second)]
    cursor = page.json()["next_cursor"]
    rest = await client.get(
        SESSIONS,
        params={"limit": "100", "cursor": cursor},
        headers=bearer(first["access_token"]),
    )
    assert sid(first) in [s["id"] for s in rest.json()["items"]]
    assert sid(second) not in [s["id"] for s in rest.json()["items"]]

    before = next(s for s in rest.json()["items"] if s["id"] == sid(first))["last_used_at"]
    renewed = await client.post(
        "/api/auth/refresh/", json={"refresh_token": first["refresh_token"]}
    )
    assert renewed.status_code == 200
    assert sid(renewed.json()) == sid(first)  # a refresh stays in its session
    again = await client.get(
        SESSIONS, params={"limit": "100"}, headers=bearer(second["access_token"])
    )
    after = next(s for s in again.json()["items"] if s["id"] == sid(first))["last_used_at"]
    assert after >= before


async def test_ending_a_session_stops_its_tokens_and_spares_the_others(
    client: Client, make_user: MakeUser
) -> None:
    user = await make_user(Role.PATIENT)
    stolen, kept = await sign_in(client, user), await sign_in(client, user)
    await still_works(client, stolen["access_token"])  # remembered by this process
    ended = await client.delete(f"{SESSIONS}{sid(stolen)}/", headers=bearer(kept["access_token"]))
    assert ended.status_code == 204
    refused = await client.post(
        "/api/auth/refresh/", json={"refresh_token": stolen["refresh_token"]}
    )
    assert refused.status_code == 401
    await stops_within_the_bound(client, stolen["access_token"])
    await still_works(client, kept["access_token"])
    listed = await client.get(SESSIONS, headers=bearer(kept["access_token"]))
    assert sid(stolen) not in [s["id"] for s in listed.json()["items"]]
    # Ending it again, or a session that never existed: 404, nothing changes.
    again = await client.delete(f"{SESSIONS}{sid(stolen)}/", headers=bearer(kept["access_token"]))
    assert again.status_code == 404
    assert again.headers["content-type"].startswith("application/problem+json")
    await still_works(client, kept["access_token"])


async def test_another_users_session_cannot_be_ended_or_seen(
    client: Client, make_user: MakeUser
) -> None:
    owner, stranger = await make_user(Role.PATIENT), await make_user(Role.DOCTOR)
    theirs = await sign_in(client, owner)
    response = await client.delete(f"{SESSIONS}{sid(theirs)}/", headers=stranger.headers)
    assert response.status_code == 404
    assert response.json()["detail"] == "No such session."
    listed = await client.get(SESSIONS, params={"limit": "100"}, headers=stranger.headers)
    assert sid(theirs) not in [s["id"] for s in listed.json()["items"]]
    await still_works(client, theirs["access_token"])
    ok = await client.post("/api/auth/refresh/", json={"refresh_token": theirs["refresh_token"]})
    assert ok.status_code == 200


async def test_bad_session_inputs_are_clear_4xx(client: Client, make_user: MakeUser) -> None:
    user = await make_user(Role.PATIENT)
    assert (await client.get(SESSIONS)).status_code == 401
    assert (await client.delete(f"{SESSIONS}not-a-uuid/", headers=user.headers)).status_code in (
        400,
        404,
    )
    for params, status in (({"limit": "0"}, 400), ({"limit": "101"}, 400), ({"cursor": "x"}, 422)):
        response = await client.get(SESSIONS, params=params, headers=user.headers)
        assert response.status_code == status, params
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_logout_stops_that_sessions_access_tokens(
    client: Client, make_user: MakeUser
) -> None:
    user = await make_user(Role.PATIENT)
    pair, other = await sign_in(client, user), await sign_in(client, user)
    await still_works(client, pair["access_token"])
    out = await client.post(
        "/api/auth/logout/",
        json={"refresh_token": pair["refresh_token"]},
        headers=bearer(pair["access_token"]),
    )
    assert out.status_code == 204
    await stops_within_the_bound(client, pair["access_token"])
    await still_works(client, other["access_token"])


async def test_password_change_ends_every_other_session(
    client: Client, make_user: MakeUser
) -> None:
    admin = await make_user(Role.ADMIN)
    user = await make_user(Role.PATIENT)
    here, elsewhere = await sign_in(client, user), await sign_in(client, user)
    await still_works(client, elsewhere["access_token"])
    since = datetime.now(UTC)
    new = "Brand-New-Passphrase-" + user.password[:6]
    changed = await client.post(
        PASSWORD,
        json={"current_password": user.password, "new_password": new},
        headers=bearer(here["access_token"]),
    )
    assert changed.status_code == 204, changed.text
    await stops_within_the_bound(client, elsewhere["access_token"])
    gone = await client.post(
        "/api/auth/refresh/", json={"refresh_token": elsewhere["refresh_token"]}
    )
    assert gone.status_code == 401
    await still_works(client, here["access_token"])
    kept = await client.post("/api/auth/refresh/", json={"refresh_token": here["refresh_token"]})
    assert kept.status_code == 200
    old = await client.post(
        "/api/auth/login/", json={"email": user.email, "password": user.password}
    )
    assert old.status_code == 401
    await login(client, user.email, new)
    events = await events_of(client, admin, since, {rid(changed)})
    assert [(e["action"], e["outcome"], e["target_id"]) for e in events] == [
        ("auth.password.change", "success", str(user.id))
    ]
    assert new not in str(events)
    assert user.password not in str(events)


async def test_a_wrong_current_or_weak_new_password_changes_nothing(
    client: Client, make_user: MakeUser
) -> None:
    user = await make_user(Role.PATIENT)
    here, elsewhere = await sign_in(client, user), await sign_in(client, user)
    wrong = await client.post(
        PASSWORD,
        json={"current_password": "not-it-" + user.password, "new_password": "Fine-Passphrase-42"},
        headers=bearer(here["access_token"]),
    )
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["errors"]] == ["current_password"]
    weak = await client.post(
        PASSWORD,
        json={"current_password": user.password, "new_password": "password"},
        headers=bearer(here["access_token"]),
    )
    assert weak.status_code == 422
    assert [e["field"] for e in weak.json()["errors"]] == ["new_password"]
    missing = await client.post(
        PASSWORD, json={"new_password": "x"}, headers=bearer(here["access_token"])
    )
    assert missing.status_code == 400
    assert (await client.post(PASSWORD, json={})).status_code == 401
    await login(client, user.email, user.password)
    await still_works(client, elsewhere["access_token"])
    ok = await client.post("/api/auth/refresh/", json={"refresh_token": elsewhere["refresh_token"]})
    assert ok.status_code == 200


async def test_concurrent_wrong_current_passwords_cannot_exceed_the_limit(
    settings: Settings,
) -> None:
    """Wrong current passwords are guesses, counted with failed logins (10 per
    account and address): fired at once, no more than the limit are checked."""
    limited = build_container(settings)
    async with AsyncTestClient(create_app(settings, limited)) as client:
        user = client.blocking_portal.call(lambda: seed_user(limited, Role.PATIENT))
        body = {"current_password": "wrong-" + user.password, "new_password": "Fine-Pass-4242"}
        answers = await asyncio.gather(
            *(client.post(PASSWORD, json=body, headers=user.headers) for _ in range(16))
        )
        statuses = sorted(a.status_code for a in answers)
        assert statuses.count(422) == settings.login_max_failures
        assert set(statuses) == {422, 429}
        right = await client.post(
            "/api/auth/login/", json={"email": user.email, "password": user.password}
        )
        assert right.status_code == 429
        assert "retry-after" in right.headers


async def test_an_ended_session_stops_on_another_replica_too(
    settings: Settings, client: Client, make_user: MakeUser
) -> None:
    """A second app on the same database and Redis stands for another replica:
    it remembered the caller as active, yet stops the ended session in time."""
    user = await make_user(Role.PATIENT)
    pair = await sign_in(client, user)
    async with AsyncTestClient(create_app(settings, build_container(settings))) as replica:
        await still_works(replica, pair["access_token"])
        ended = await client.delete(f"{SESSIONS}{sid(pair)}/", headers=bearer(pair["access_token"]))
        assert ended.status_code == 204
        await stops_within_the_bound(replica, pair["access_token"])
