"""Password reset by email (issue 15), on a real server with a real SMTP server.

Production mode sends through the SAQ worker, embedded mode in-process; both
deliver to aiosmtpd on a free port, and the test reads the token from the
message the owner receives.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyotp
import pytest

from healthrecords.config import Settings
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.active_users import ACTIVE_USER_SECONDS
from tests.api.notification_live import LiveServer, live_server
from tests.api.test_auth import new_email, strong_password
from tests.clock import MovableClock
from tests.mailbox import Mailbox, body_of, smtp_server
from tests.people import seed_user

RESET, CONFIRM = "/api/auth/password-reset/", "/api/auth/password-reset/confirm/"
REQUESTED = {"detail": "If an account has this email, its owner will receive a reset token."}
TOKEN = re.compile(r"good once\):\s+(\S+)")


@dataclass
class Site:
    live: LiveServer
    mailbox: Mailbox
    http: httpx.AsyncClient

    def recent(self) -> dict[str, str]:
        """Audit filters for this module's events: its clock runs hours back."""
        now = self.live.clock.now()
        return {
            "since": (now - timedelta(minutes=5)).isoformat(),
            "until": (now + timedelta(minutes=5)).isoformat(),
            "limit": "100",
        }

    async def account(self) -> tuple[str, str]:
        email, password = new_email(), strong_password()
        body = {"email": email, "password": password, "full_name": "Ada", "role": "patient"}
        assert (await self.http.post("/api/auth/register/", json=body)).status_code == 201
        return email, password

    async def login(self, email: str, password: str) -> httpx.Response:
        return await self.http.post("/api/auth/login/", json={"email": email, "password": password})

    async def pair(self, email: str, password: str) -> dict[str, Any]:
        response = await self.login(email, password)
        assert response.status_code == 200, response.text
        assert "access_token" in response.json()
        pair: dict[str, Any] = response.json()
        return pair

    async def reset_token(self, email: str, nth: int = 1) -> str:
        answer = await self.http.post(RESET, json={"email": email})
        assert answer.status_code == 202
        assert answer.json() == REQUESTED
        mail = (await self.mailbox.wait_for(email, nth))[nth - 1]
        assert mail["Subject"] == "Reset your password"
        found = TOKEN.search(body_of(mail))
        assert found is not None
        return found.group(1)


@pytest.fixture(scope="module")
async def site(settings: Settings) -> AsyncIterator[Site]:
    with smtp_server() as mailbox:
        # A namespace of its own: no other test's worker sends these mails.
        mailing = dataclasses.replace(
            settings, smtp_url=mailbox.url, redis_namespace=settings.redis_namespace + "-mail"
        )
        # Hours in the past: the tests move it forward, and the session's shared
        # audit trail must not get events dated in the future.
        past = MovableClock(datetime.now(UTC) - timedelta(hours=3))
        async with (
            live_server(mailing, past) as live,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{live.port}") as http,
        ):
            yield Site(live, mailbox, http)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def stops_within_the_bound(http: httpx.AsyncClient, token: str) -> None:
    deadline = time.monotonic() + ACTIVE_USER_SECONDS + 3
    while (status := (await http.get("/api/auth/me/", headers=bearer(token))).status_code) != 401:
        assert status == 200
        assert time.monotonic() < deadline, "a reset left a session's access token working"
        await asyncio.sleep(0.1)


async def test_reset_by_email_sets_the_password_and_ends_every_session(site: Site) -> None:
    email, old = await site.account()
    sessions = [await site.pair(email, old) for _ in range(2)]
    token = await site.reset_token(email)
    new = strong_password()
    weak = await site.http.post(CONFIRM, json={"token": token, "new_password": "password"})
    assert weak.status_code == 422
    assert [e["field"] for e in weak.json()["errors"]] == ["new_password"]
    done = await site.http.post(CONFIRM, json={"token": token, "new_password": new})
    assert done.status_code == 204
    for pair in sessions:
        refresh = {"refresh_token": pair["refresh_token"]}
        assert (await site.http.post("/api/auth/refresh/", json=refresh)).status_code == 401
        await stops_within_the_bound(site.http, pair["access_token"])
    assert (await site.login(email, old)).status_code == 401
    await site.pair(email, new)
    again = await site.http.post(CONFIRM, json={"token": token, "new_password": strong_password()})
    assert again.status_code == 422
    assert [e["field"] for e in again.json()["errors"]] == ["token"]
    # The owner is told the password changed; no email carries a password.
    reset_mail, changed = await site.mailbox.wait_for(email, 2)
    assert changed["Subject"] == "Your password was changed"
    for mail in (reset_mail, changed):
        assert old not in body_of(mail)
        assert new not in body_of(mail)


async def test_an_unknown_email_gets_the_same_answer_and_no_mail(site: Site) -> None:
    ghost = new_email()
    answer = await site.http.post(RESET, json={"email": ghost})
    assert (answer.status_code, answer.json()) == (202, REQUESTED)
    # A known account's mail sent after it arrives; the unknown one got none.
    email, _ = await site.account()
    await site.reset_token(email)
    assert site.mailbox.to(ghost) == []


async def test_three_emails_per_account_per_hour(site: Site) -> None:
    email, _ = await site.account()
    tokens = [await site.reset_token(email, nth) for nth in (1, 2, 3)]
    fourth = await site.http.post(RESET, json={"email": email})
    assert fourth.status_code == 202
    # An hour later the account may ask again; the fourth request sent nothing.
    site.live.clock.advance(3601)
    await site.reset_token(email, 4)
    assert len(site.mailbox.to(email)) == 4
    assert len(set(tokens)) == 3


async def test_a_burst_of_requests_cannot_exceed_the_per_account_limit(site: Site) -> None:
    admin = await seed_user(site.live.container, Role.ADMIN)
    email, _ = await site.account()
    answers = await asyncio.gather(
        *(site.http.post(RESET, json={"email": email}) for _ in range(8))
    )
    assert {a.status_code for a in answers} == {202}
    ids = {a.headers["x-request-id"] for a in answers}
    # Each request's work runs after its answer: wait until all eight are decided.
    end = time.monotonic() + 10
    while True:
        trail = await site.http.get("/api/audit/", params=site.recent(), headers=admin.headers)
        outcomes = [e["outcome"] for e in trail.json()["items"] if e["request_id"] in ids]
        if len(outcomes) == len(ids):
            break
        assert time.monotonic() < end, f"{len(outcomes)} of {len(ids)} requests decided"
        await asyncio.sleep(0.05)
    sent = outcomes.count("success")
    # At most three; concurrent requests that lose a slot send nothing.
    assert 1 <= sent <= 3
    assert outcomes.count("denied") == 8 - sent
    assert len(await site.mailbox.wait_for(email, sent)) == sent


async def test_a_token_expires_after_thirty_minutes(site: Site) -> None:
    email, password = await site.account()
    token = await site.reset_token(email)
    site.live.clock.advance(30 * 60 + 1)
    late = await site.http.post(CONFIRM, json={"token": token, "new_password": strong_password()})
    assert late.status_code == 422
    await site.pair(email, password)


async def test_one_token_presented_at_once_resets_once(site: Site) -> None:
    email, _ = await site.account()
    token = await site.reset_token(email)
    passwords = [strong_password() for _ in range(4)]
    answers = await asyncio.gather(
        *(site.http.post(CONFIRM, json={"token": token, "new_password": p}) for p in passwords)
    )
    assert sorted(a.status_code for a in answers) == [204, 422, 422, 422]
    winner = passwords[[a.status_code for a in answers].index(204)]
    await site.pair(email, winner)
    for loser in set(passwords) - {winner}:
        assert (await site.login(email, loser)).status_code == 401


async def test_two_factor_still_applies_after_a_reset(site: Site) -> None:
    email, password = await site.account()
    headers = bearer((await site.pair(email, password))["access_token"])
    secret = (await site.http.post("/api/auth/mfa/totp/", headers=headers)).json()["secret"]
    code = pyotp.TOTP(secret).at(site.live.clock.now())
    confirmed = await site.http.post(
        "/api/auth/mfa/totp/confirm/", json={"code": code}, headers=headers
    )
    assert confirmed.status_code == 200
    on = await site.mailbox.wait_for(email)
    assert on[0]["Subject"] == "Two-factor sign-in is on"
    assert secret not in body_of(on[0])
    token = await site.reset_token(email, 2)
    new = strong_password()
    assert (
        await site.http.post(CONFIRM, json={"token": token, "new_password": new})
    ).status_code == 204
    after = await site.login(email, new)
    assert after.status_code == 200
    assert after.json()["mfa_required"] is True


async def test_bad_bodies_are_clear_4xx(site: Site) -> None:
    for path, body in (
        (RESET, {}),
        (RESET, {"email": 42}),
        (RESET, {"email": "a@b.c", "extra": 1}),
        (CONFIRM, {"token": "x"}),
    ):
        answer = await site.http.post(path, json=body)
        assert answer.status_code == 400, (path, body)
        assert answer.headers["content-type"].startswith("application/problem+json")
    forged = await site.http.post(CONFIRM, json={"token": "x" * 43, "new_password": "Fine-42-ok"})
    assert forged.status_code == 422


async def test_requests_and_confirmations_are_audited_without_the_token(site: Site) -> None:
    admin = await seed_user(site.live.container, Role.ADMIN)
    email, _ = await site.account()
    ghost = await site.http.post(RESET, json={"email": new_email()})
    token = await site.reset_token(email)
    done = await site.http.post(CONFIRM, json={"token": token, "new_password": strong_password()})
    assert done.status_code == 204
    ids = {ghost.headers["x-request-id"], done.headers["x-request-id"]}
    # A request's work (and its audit event) runs after its answer was sent.
    end = time.monotonic() + 10
    while True:
        trail = await site.http.get("/api/audit/", params=site.recent(), headers=admin.headers)
        assert trail.status_code == 200
        items = trail.json()["items"]
        seen = [(e["action"], e["outcome"]) for e in items if e["request_id"] in ids]
        if len(seen) == 2 or time.monotonic() > end:
            break
        await asyncio.sleep(0.05)
    assert sorted(seen) == [
        ("auth.password_reset.confirm", "success"),
        ("auth.password_reset.request", "not_found"),
    ]
    user_events = {e["action"] for e in items if e["target_id"] and e["outcome"] == "success"}
    assert "auth.password_reset.request" in user_events
    assert token not in trail.text
