"""Access tokens: expiry on the injected clock, and forged or altered tokens."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime

import jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.config import Settings
from tests.api.clocked import clocked_client
from tests.api.conftest import MakeUser
from tests.api.test_auth import bearer, login, new_email, register, strong_password
from tests.clock import MovableClock

Client = AsyncTestClient[Litestar]


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def claims(settings: Settings, subject: str, role: str, **changes: object) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    base: dict[str, object] = {
        "sub": subject,
        "role": role,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(8),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "typ": "access",
    }
    base.update(changes)
    return base


def signed(settings: Settings, payload: dict[str, object], key: bytes | None = None) -> str:
    assert settings.jwt_keys is not None
    kid = settings.jwt_keys.current
    secret = key if key is not None else settings.jwt_keys.keys[kid]
    return jwt.encode(payload, secret, algorithm="HS256", headers={"kid": kid})


async def test_an_access_token_expires_after_its_lifetime(settings: Settings) -> None:
    clock = MovableClock()
    async with clocked_client(settings, clock) as (client, _):
        email, password = new_email(), strong_password()
        await register(client, email, password)
        pair = await login(client, email, password)
        assert (await client.get("/api/auth/me/", headers=bearer(pair["access_token"]))).is_success
        clock.advance(settings.access_token_ttl + 11)  # past the 10 s leeway
        expired = await client.get("/api/auth/me/", headers=bearer(pair["access_token"]))
        assert expired.status_code == 401
        assert expired.headers["content-type"].startswith("application/problem+json")
        # The refresh token outlives it and brings a fresh access token.
        fresh = await client.post(
            "/api/auth/refresh/", json={"refresh_token": pair["refresh_token"]}
        )
        assert fresh.status_code == 200
        me = await client.get("/api/auth/me/", headers=bearer(fresh.json()["access_token"]))
        assert me.status_code == 200


async def test_an_expired_refresh_token_is_401(settings: Settings) -> None:
    clock = MovableClock()
    async with clocked_client(settings, clock) as (client, _):
        email, password = new_email(), strong_password()
        await register(client, email, password)
        pair = await login(client, email, password)
        clock.advance(settings.refresh_token_ttl + 1)
        response = await client.post(
            "/api/auth/refresh/", json={"refresh_token": pair["refresh_token"]}
        )
        assert response.status_code == 401


async def test_alg_none_is_refused(client: Client, settings: Settings, make_user: MakeUser) -> None:
    user = await make_user()
    assert settings.jwt_keys is not None
    header = {"alg": "none", "typ": "JWT", "kid": settings.jwt_keys.current}
    token = f"{b64(header)}.{b64(claims(settings, str(user.id), 'patient'))}."
    response = await client.get("/api/auth/me/", headers=bearer(token))
    assert response.status_code == 401


async def test_a_token_signed_with_another_key_is_refused(
    client: Client, settings: Settings, make_user: MakeUser
) -> None:
    user = await make_user()
    forged = signed(settings, claims(settings, str(user.id), "patient"), secrets.token_bytes(32))
    response = await client.get("/api/auth/me/", headers=bearer(forged))
    assert response.status_code == 401


async def test_a_changed_role_claim_is_refused(
    client: Client, settings: Settings, make_user: MakeUser
) -> None:
    user = await make_user()
    header, payload, signature = user.token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded["role"] = "admin"
    tampered = f"{header}.{b64(decoded)}.{signature}"
    assert (await client.get("/api/users/", headers=bearer(tampered))).status_code == 401
    # Even correctly signed, a role the account does not have is refused.
    resigned = signed(settings, claims(settings, str(user.id), "admin"))
    assert (await client.get("/api/users/", headers=bearer(resigned))).status_code == 401
    assert (await client.get("/api/auth/me/", headers=user.headers)).status_code == 200


async def test_wrong_audience_issuer_or_type_is_refused(
    client: Client, settings: Settings, make_user: MakeUser
) -> None:
    user = await make_user()
    for change in ({"aud": "another-api"}, {"iss": "someone-else"}, {"typ": "refresh"}):
        token = signed(settings, claims(settings, str(user.id), "patient", **change))
        response = await client.get("/api/auth/me/", headers=bearer(token))
        assert response.status_code == 401, change


async def test_a_token_for_an_unknown_user_is_refused(client: Client, settings: Settings) -> None:
    token = signed(settings, claims(settings, "00000000-0000-4000-8000-000000000000", "patient"))
    assert (await client.get("/api/auth/me/", headers=bearer(token))).status_code == 401
