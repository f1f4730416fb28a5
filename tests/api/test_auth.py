"""Register, login, me, refresh (rotation, reuse detection) and logout over HTTP."""

from __future__ import annotations

import asyncio
import secrets

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.conftest import MakeUser

PROBLEM = "application/problem+json"
Client = AsyncTestClient[Litestar]


def new_email() -> str:
    return f"user-{secrets.token_hex(6)}@example.test"


def strong_password() -> str:
    return "Correct-Horse-" + secrets.token_hex(4)


async def register(client: Client, email: str, password: str, role: str = "patient") -> dict:
    response = await client.post(
        "/api/auth/register/",
        json={"email": email, "password": password, "full_name": "Ada Lovelace", "role": role},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def login(client: Client, email: str, password: str) -> dict:
    response = await client.post("/api/auth/login/", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_register_returns_the_user_without_password_material(client: Client) -> None:
    email = new_email()
    password = strong_password()
    response = await client.post(
        "/api/auth/register/",
        json={
            "email": f"  {email.upper()} ",
            "password": password,
            "full_name": " Ada Lovelace ",
            "role": "doctor",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "full_name", "role", "is_active", "created_at", "verified"}
    assert body["email"] == email
    assert body["full_name"] == "Ada Lovelace"
    assert body["role"] == "doctor"
    assert body["is_active"] is True
    assert password not in response.text
    assert "argon2" not in response.text


async def test_a_taken_email_in_any_case_is_409(client: Client) -> None:
    email = new_email()
    await register(client, email, strong_password())
    response = await client.post(
        "/api/auth/register/",
        json={
            "email": email.upper(),
            "password": strong_password(),
            "full_name": "Someone Else",
            "role": "patient",
        },
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_bad_registrations_name_each_bad_field(client: Client) -> None:
    cases = [
        ({"role": "admin"}, "role"),
        ({"role": "nurse"}, "role"),
        ({"password": "short-pw"}, "password"),
        ({"password": "x" * 1025}, "password"),
        ({"password": "password123456"}, "password"),
        ({"password": "QwertyQwerty"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"full_name": "   "}, "full_name"),
        ({"full_name": "x" * 201}, "full_name"),
    ]
    for change, field in cases:
        body = {
            "email": new_email(),
            "password": strong_password(),
            "full_name": "Ada Lovelace",
            "role": "patient",
            **change,
        }
        response = await client.post("/api/auth/register/", json=body)
        assert response.status_code == 422, (change, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert [e["field"] for e in response.json()["errors"]] == [field], change


async def test_a_password_containing_the_email_name_is_refused(client: Client) -> None:
    local = f"grace{secrets.token_hex(3)}"
    response = await client.post(
        "/api/auth/register/",
        json={
            "email": f"{local}@example.test",
            "password": f"My-{local.upper()}-secret",
            "full_name": "Grace Hopper",
            "role": "patient",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "password"


async def test_a_malformed_body_is_400(client: Client) -> None:
    missing = await client.post("/api/auth/register/", json={"email": new_email()})
    assert missing.status_code == 400
    assert missing.headers["content-type"].startswith(PROBLEM)
    wrong_type = await client.post("/api/auth/login/", json={"email": 5, "password": []})
    assert wrong_type.status_code == 400


async def test_login_returns_a_bearer_pair(client: Client) -> None:
    email, password = new_email(), strong_password()
    await register(client, email, password)
    response = await client.post(
        "/api/auth/login/", json={"email": email.upper(), "password": password}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert len(body["refresh_token"]) >= 43  # 32 random bytes, base64url
    me = await client.get("/api/auth/me/", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == email


async def test_every_credential_failure_is_the_same_401(client: Client) -> None:
    email, password = new_email(), strong_password()
    await register(client, email, password)
    wrong = await client.post("/api/auth/login/", json={"email": email, "password": "x" + password})
    unknown = await client.post(
        "/api/auth/login/", json={"email": new_email(), "password": password}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["content-type"].startswith(PROBLEM)
    assert wrong.headers["www-authenticate"] == "Bearer"


async def test_refresh_rotates_the_pair(client: Client) -> None:
    email, password = new_email(), strong_password()
    await register(client, email, password)
    first = await login(client, email, password)
    response = await client.post(
        "/api/auth/refresh/", json={"refresh_token": first["refresh_token"]}
    )
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    me = await client.get("/api/auth/me/", headers=bearer(second["access_token"]))
    assert me.status_code == 200


async def test_a_replayed_refresh_token_revokes_the_newer_one_too(client: Client) -> None:
    email, password = new_email(), strong_password()
    await register(client, email, password)
    first = await login(client, email, password)
    rotated = await client.post(
        "/api/auth/refresh/", json={"refresh_token": first["refresh_token"]}
    )
    assert rotated.status_code == 200
    replay = await client.post("/api/auth/refresh/", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    newer = await client.post(
        "/api/auth/refresh/", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    assert newer.status_code == 401
    # Other logins (families) of the same user are untouched.
    other = await login(client, email, password)
    ok = await client.post("/api/auth/refresh/", json={"refresh_token": other["refresh_token"]})
    assert ok.status_code == 200


async def test_an_unknown_refresh_token_is_401(client: Client) -> None:
    response = await client.post(
        "/api/auth/refresh/", json={"refresh_token": secrets.token_urlsafe(32)}
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_two_concurrent_refreshes_exactly_one_wins(client: Client) -> None:
    email, password = new_email(), strong_password()
    await register(client, email, password)
    pair = await login(client, email, password)
    body = {"refresh_token": pair["refresh_token"]}
    responses = await asyncio.gather(
        client.post("/api/auth/refresh/", json=body),
        client.post("/api/auth/refresh/", json=body),
    )
    assert sorted(r.status_code for r in responses) == [200, 401]
    # The loser presented a spent token: that is reuse, so the family is gone.
    winner = next(r for r in responses if r.status_code == 200).json()
    again = await client.post("/api/auth/refresh/", json={"refresh_token": winner["refresh_token"]})
    assert again.status_code == 401


async def test_logout_revokes_the_family(client: Client) -> None:
    email, password = new_email(), strong_password()
    await register(client, email, password)
    pair = await login(client, email, password)
    body = {"refresh_token": pair["refresh_token"]}
    unauthenticated = await client.post("/api/auth/logout/", json=body)
    assert unauthenticated.status_code == 401
    response = await client.post(
        "/api/auth/logout/", json=body, headers=bearer(pair["access_token"])
    )
    assert response.status_code == 204
    assert (await client.post("/api/auth/refresh/", json=body)).status_code == 401


async def test_logout_ignores_another_users_refresh_token(
    client: Client, make_user: MakeUser
) -> None:
    email, password = new_email(), strong_password()
    await register(client, email, password)
    pair = await login(client, email, password)
    stranger = await make_user()
    body = {"refresh_token": pair["refresh_token"]}
    response = await client.post("/api/auth/logout/", json=body, headers=stranger.headers)
    assert response.status_code == 204
    assert (await client.post("/api/auth/refresh/", json=body)).status_code == 200


async def test_me_needs_a_valid_access_token(client: Client) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}):
        response = await client.get("/api/auth/me/", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith(PROBLEM)
