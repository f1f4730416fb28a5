"""TOTP two-factor sign-in (issue 15), on both backends, with a clock the test moves.

pyotp computes the codes an authenticator app would show at the app's clock,
so no test waits for a 30-second window.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from healthrecords.bootstrap import Container
from healthrecords.config import Settings
from healthrecords.domain.services.token_issuer import token_digest
from healthrecords.domain.two_factor import normalise_recovery_code
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.deps import ENROL_FIRST, ENROLMENT_OPT
from tests.api.clocked import clocked_client
from tests.api.test_auth import bearer
from tests.clock import MovableClock
from tests.people import SeededUser, seed_user

Client = AsyncTestClient[Litestar]
ENROL, CONFIRM, VERIFY = (
    "/api/auth/mfa/totp/",
    "/api/auth/mfa/totp/confirm/",
    "/api/auth/mfa/verify/",
)
ANY_ID = "00000000-0000-4000-8000-000000000000"
WRONG_CODE = "The code is incorrect or was used already."
VOID = "The sign-in challenge is invalid, expired or used up; sign in again."


@dataclass
class World:
    client: Client
    container: Container
    clock: MovableClock

    async def user(self, role: Role = Role.PATIENT) -> SeededUser:
        return self.client.blocking_portal.call(lambda: seed_user(self.container, role))

    def code(self, secret: str, steps: int = 0) -> str:
        return pyotp.TOTP(secret).at(self.clock.now(), counter_offset=steps)

    async def login(self, user: SeededUser) -> dict[str, Any]:
        body = {"email": user.email, "password": user.password}
        response = await self.client.post("/api/auth/login/", json=body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def challenge(self, user: SeededUser) -> str:
        answer = await self.login(user)
        assert answer == {"mfa_required": True, "mfa_token": answer["mfa_token"], "expires_in": 300}
        return str(answer["mfa_token"])

    async def verify(self, token: str, code: str) -> Any:
        return await self.client.post(VERIFY, json={"mfa_token": token, "code": code})

    async def enrolled(self, user: SeededUser) -> tuple[str, list[str]]:
        """Turn two-factor on for a user; its secret and recovery codes."""
        started = await self.client.post(ENROL, headers=user.headers)
        assert started.status_code == 201, started.text
        secret = started.json()["secret"]
        confirmed = await self.client.post(
            CONFIRM, json={"code": self.code(secret)}, headers=user.headers
        )
        assert confirmed.status_code == 200, confirmed.text
        self.clock.advance(30)  # the confirming code is spent
        return secret, confirmed.json()["recovery_codes"]


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    # An hour back: moving it forward must not date shared audit events in the future.
    clock = MovableClock(datetime.now(UTC) - timedelta(hours=1))
    async with clocked_client(settings, clock) as (client, container):
        yield World(client, container, clock)


async def test_enrol_confirm_then_login_asks_for_a_code(world: World) -> None:
    user = await world.user()
    started = await world.client.post(ENROL, headers=user.headers)
    assert started.status_code == 201
    secret, uri = started.json()["secret"], started.json()["otpauth_uri"]
    assert set(started.json()) == {"secret", "otpauth_uri"}
    parsed = pyotp.parse_uri(uri)
    assert parsed.secret == secret
    assert parsed.digits == 6
    assert parsed.interval == 30
    # Not on until confirmed: login still answers tokens.
    assert "access_token" in await world.login(user)
    wrong = await world.client.post(
        CONFIRM, json={"code": world.code(secret, steps=5)}, headers=user.headers
    )
    assert wrong.status_code == 422
    confirmed = await world.client.post(
        CONFIRM, json={"code": world.code(secret)}, headers=user.headers
    )
    assert confirmed.status_code == 200
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    again = await world.client.post(CONFIRM, json={"code": "123456"}, headers=user.headers)
    assert again.status_code == 409
    assert (await world.client.post(ENROL, headers=user.headers)).status_code == 409

    world.clock.advance(30)
    token = await world.challenge(user)
    pair = await world.verify(token, world.code(secret))
    assert pair.status_code == 200
    assert set(pair.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    me = await world.client.get("/api/auth/me/", headers=bearer(pair.json()["access_token"]))
    assert me.status_code == 200


async def test_a_code_is_accepted_once_and_only_within_one_step(world: World) -> None:
    user = await world.user()
    secret, _ = await world.enrolled(user)
    code = world.code(secret)
    assert (await world.verify(await world.challenge(user), code)).status_code == 200
    replay = await world.verify(await world.challenge(user), code)
    assert replay.status_code == 401
    assert replay.json()["detail"] == WRONG_CODE
    # One step either side of the server's clock is accepted, two are not.
    world.clock.advance(60)
    token = await world.challenge(user)
    assert (await world.verify(token, world.code(secret, steps=-2))).status_code == 401
    assert (await world.verify(token, world.code(secret, steps=2))).status_code == 401
    assert (await world.verify(token, world.code(secret, steps=-1))).status_code == 200


async def test_recovery_codes_sign_in_once_each(world: World) -> None:
    user = await world.user()
    _, codes = await world.enrolled(user)
    assert (await world.verify(await world.challenge(user), codes[0].lower())).status_code == 200
    spent = await world.verify(await world.challenge(user), codes[0])
    assert spent.status_code == 401
    assert (await world.verify(await world.challenge(user), codes[1])).status_code == 200


async def test_five_wrong_codes_void_the_challenge(world: World) -> None:
    user = await world.user()
    secret, _ = await world.enrolled(user)
    token = await world.challenge(user)
    for _ in range(5):
        wrong = await world.verify(token, world.code(secret, steps=9))
        assert (wrong.status_code, wrong.json()["detail"]) == (401, WRONG_CODE)
    late = await world.verify(token, world.code(secret))
    assert (late.status_code, late.json()["detail"]) == (401, VOID)
    # The code was not spent by the voided challenge: a fresh one takes it.
    assert (await world.verify(await world.challenge(user), world.code(secret))).status_code == 200


async def test_a_challenge_expires_after_five_minutes(world: World) -> None:
    user = await world.user()
    secret, _ = await world.enrolled(user)
    token = await world.challenge(user)
    world.clock.advance(301)
    late = await world.verify(token, world.code(secret))
    assert (late.status_code, late.json()["detail"]) == (401, VOID)


async def test_the_same_code_sent_at_once_signs_in_once(world: World) -> None:
    user = await world.user()
    secret, codes = await world.enrolled(user)
    tokens = [await world.challenge(user) for _ in range(4)]
    code = world.code(secret)
    answers = await asyncio.gather(*(world.verify(t, code) for t in tokens))
    assert sorted(a.status_code for a in answers) == [200, 401, 401, 401]
    token = await world.challenge(user)
    answers = await asyncio.gather(*(world.verify(token, codes[3]) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [200, 401, 401, 401]


async def test_concurrent_wrong_codes_cannot_exceed_the_challenges_limit(world: World) -> None:
    user = await world.user()
    secret, _ = await world.enrolled(user)
    token = await world.challenge(user)
    answers = await asyncio.gather(
        *(world.verify(token, world.code(secret, steps=7)) for _ in range(9))
    )
    details = [a.json()["detail"] for a in answers]
    assert {a.status_code for a in answers} == {401}
    assert details.count(WRONG_CODE) == 5
    assert details.count(VOID) == 4


async def test_wrong_codes_count_toward_the_accounts_login_limit(
    world: World, settings: Settings
) -> None:
    """A known password cannot buy unlimited code guesses: each login's
    password stays counted until a right code settles it."""
    user = await world.user()
    secret, _ = await world.enrolled(user)
    checked, statuses = 0, []
    for _ in range(settings.login_max_failures):
        login = await world.client.post(
            "/api/auth/login/", json={"email": user.email, "password": user.password}
        )
        statuses.append(login.status_code)
        if login.status_code == 429:
            break
        for _ in range(5):
            wrong = await world.verify(login.json()["mfa_token"], world.code(secret, steps=8))
            if wrong.status_code == 429:
                break
            checked += wrong.json()["detail"] == WRONG_CODE
    assert 429 in statuses
    assert checked < settings.login_max_failures
    right = await world.client.post(
        "/api/auth/login/", json={"email": user.email, "password": user.password}
    )
    assert right.status_code == 429
    assert "retry-after" in right.headers


async def test_turning_two_factor_off_needs_the_password_and_a_code(world: World) -> None:
    user = await world.user()
    secret, codes = await world.enrolled(user)
    off = "/api/auth/mfa/totp/"
    bad = await world.client.request(
        "DELETE",
        off,
        json={"password": "wrong-" + user.password, "code": world.code(secret)},
        headers=user.headers,
    )
    assert bad.status_code == 422
    assert "mfa_required" in await world.login(user)
    missing = await world.client.request(
        "DELETE", off, json={"password": user.password}, headers=user.headers
    )
    assert missing.status_code == 400
    done = await world.client.request(
        "DELETE", off, json={"password": user.password, "code": codes[0]}, headers=user.headers
    )
    assert done.status_code == 204
    assert "access_token" in await world.login(user)
    again = await world.client.request(
        "DELETE", off, json={"password": user.password, "code": codes[1]}, headers=user.headers
    )
    assert again.status_code == 409


async def test_a_required_role_must_enrol_before_anything_else(world: World) -> None:
    admin = world.client.blocking_portal.call(
        lambda: world.container.accounts.create_admin(
            f"fresh-admin-{secrets.token_hex(4)}@example.test",
            "Admin-Passphrase-4242",
            "New Admin",
        )
    )
    response = await world.client.post(
        "/api/auth/login/", json={"email": admin.email, "password": "Admin-Passphrase-4242"}
    )
    assert response.status_code == 200
    headers = bearer(response.json()["access_token"])
    for method, path in (("GET", "/api/audit/"), ("GET", "/api/auth/me/"), ("GET", "/api/users/")):
        refused = await world.client.request(method, path, headers=headers)
        assert refused.status_code == 403, path
        assert refused.json()["detail"] == ENROL_FIRST
    started = await world.client.post(ENROL, headers=headers)
    assert started.status_code == 201
    confirmed = await world.client.post(
        CONFIRM, json={"code": world.code(started.json()["secret"])}, headers=headers
    )
    assert confirmed.status_code == 200
    assert (await world.client.get("/api/audit/", headers=headers)).status_code == 200
    world.clock.advance(30)
    assert (
        "mfa_required"
        in (
            await world.client.post(
                "/api/auth/login/", json={"email": admin.email, "password": "Admin-Passphrase-4242"}
            )
        ).json()
    )


async def test_every_step_is_audited_without_secrets(world: World) -> None:
    admin, user = await world.user(Role.ADMIN), await world.user()
    secret, codes = await world.enrolled(user)
    token = await world.challenge(user)
    wrong_code = world.code(secret, steps=6)
    await world.verify(token, wrong_code)
    right_code = world.code(secret)
    assert (await world.verify(token, right_code)).status_code == 200
    off = await world.client.request(
        "DELETE", ENROL, json={"password": user.password, "code": codes[0]}, headers=user.headers
    )
    assert off.status_code == 204
    now = world.clock.now()
    window = {
        "since": (now - timedelta(minutes=5)).isoformat(),
        "until": (now + timedelta(minutes=5)).isoformat(),
        "limit": "100",
    }
    trail = await world.client.get("/api/audit/", params=window, headers=admin.headers)
    mine = [e for e in trail.json()["items"] if e["target_id"] == str(user.id)]
    # Sorted: events of one clock instant have no order between them.
    actions = sorted(e["action"] for e in mine)
    assert actions == sorted(
        [
            "auth.mfa.enrol",
            "auth.mfa.enable",
            "auth.login.mfa_required",
            "auth.mfa.bad_code",
            "auth.login",
            "auth.mfa.disable",
        ]
    )
    for secret_text in (secret, token, wrong_code, right_code, codes[0], user.password):
        assert secret_text not in trail.text


async def test_every_signed_in_route_but_enrolment_refuses_an_account_due_to_enrol(
    world: World, app_routes: list[tuple[str, str, bool]]
) -> None:
    """Walks the app's routes: an admin without two-factor reaches only the
    enrolment routes (and logout); every other signed-in route answers 403."""
    password = "Admin-Passphrase-4242"
    email = f"walk-admin-{secrets.token_hex(4)}@example.test"
    world.client.blocking_portal.call(
        lambda: world.container.accounts.create_admin(email, password, "Walker")
    )
    login = await world.client.post("/api/auth/login/", json={"email": email, "password": password})
    headers = bearer(login.json()["access_token"])
    checked = 0
    for method, path, open_before_enrolment in app_routes:
        if open_before_enrolment:
            continue
        response = await world.client.request(method, path, headers=headers, json={})
        assert response.status_code == 403, (method, path, response.text)
        body = response.json()
        # /fhir speaks FHIR: the reason is an OperationOutcome's diagnostics.
        reason = body["issue"][0]["diagnostics"] if path.startswith("/fhir") else body["detail"]
        assert reason == ENROL_FIRST, (method, path)
        checked += 1
    assert checked >= 20


@pytest.fixture
def app_routes(world: World) -> list[tuple[str, str, bool]]:
    """(method, a concrete URL, open before enrolment) of every route that takes an Actor."""
    app = world.client.app
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        url = re.sub(r"\{[^}]+:uuid\}", ANY_ID, route.path)
        # A patient for the searches that require one (/fhir); others ignore it.
        url = re.sub(r"\{[^}]+:int\}", "1", url) + "/?patient=" + ANY_ID
        for handler in route.route_handlers:
            if "actor" not in handler.parsed_fn_signature.parameters:
                continue
            for method in handler.http_methods - {"OPTIONS", "HEAD"}:
                found.append((method, url, bool(handler.opt.get(ENROLMENT_OPT))))
    assert any(opened for *_, opened in found)
    return found


async def test_erasing_ones_own_file_needs_a_code_when_two_factor_is_on(world: World) -> None:
    """With two-factor on, the password alone no longer erases the file; the
    erasure spends the code, ends every session and deletes the sign-in secrets."""
    user = await world.user()
    secret, codes = await world.enrolled(user)
    world.clock.advance(30)
    signed_in = await world.verify(await world.challenge(user), world.code(secret))
    assert signed_in.status_code == 200
    refresh = signed_in.json()["refresh_token"]
    world.clock.advance(30)
    made = await world.client.post(
        "/api/records/",
        json={"title": "t", "record_type": "note", "content": "c"},
        headers=user.headers,
    )
    assert made.status_code == 201
    erase = f"/api/patients/{user.id}/erase/"
    for body in (
        {"password": user.password},
        {"password": user.password, "code": world.code(secret, steps=5)},
        {"password": user.password, "code": "not-a-recovery-code"},
        {"password": "wrong-" + user.password, "code": world.code(secret)},
    ):
        refused = await world.client.post(erase, json=body, headers=user.headers)
        assert refused.status_code == 403, body
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert world.code(secret) not in refused.text
    record = await world.client.get(f"/api/records/{made.json()['id']}/", headers=user.headers)
    assert record.status_code == 200

    code = world.code(secret)
    done = await world.client.post(
        erase, json={"password": user.password, "code": code}, headers=user.headers
    )
    assert done.status_code == 204

    # Every session ended: the refresh token at once, the access token within
    # the per-process cache bound (2 s).
    assert (
        await world.client.post("/api/auth/refresh/", json={"refresh_token": refresh})
    ).status_code == 401
    deadline = asyncio.get_running_loop().time() + 10
    while (await world.client.get("/api/auth/me/", headers=user.headers)).status_code != 401:
        assert asyncio.get_running_loop().time() < deadline, "the access token still works"
        await asyncio.sleep(0.1)

    async def secrets_left() -> tuple[object, bool]:
        async with world.container.uow() as uow:
            totp = await uow.totp.get(user.id)
            # An unused recovery code of the account is gone too.
            digest = token_digest(normalise_recovery_code(codes[0]))
            recovery = await uow.recovery_codes.use(user.id, digest, world.clock.now())
        return totp, recovery

    assert world.client.blocking_portal.call(secrets_left) == (None, False)
