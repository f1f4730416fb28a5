"""The few API calls the harness makes to seed data, written against DESIGN.md's contract."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx

RECORD_BODY = {
    "title": "Blood pressure check",
    "record_type": "vital_sign",
    # About the size of a short clinical note.
    "content": "Systolic 128 mmHg, diastolic 82 mmHg, pulse 71/min, seated, left arm. " * 6,
}


class FeatureMissing(RuntimeError):
    """The route the scenario needs is not in this build yet."""


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def check(response: httpx.Response, expected: int, what: str) -> Any:
    if response.status_code in (404, 405) and expected != response.status_code:
        raise FeatureMissing(f"{what}: {response.request.url.path} answers {response.status_code}")
    if response.status_code != expected:
        raise RuntimeError(f"{what}: {response.status_code} {response.text[:300]}")
    return response.json() if response.content else None


async def register(client: httpx.AsyncClient, role: str) -> Account:
    email = f"bench-{role}-{secrets.token_hex(5)}@example.test"
    password = secrets.token_urlsafe(18)
    user = check(
        await client.post(
            "/api/auth/register/",
            json={"email": email, "password": password, "full_name": f"Bench {role}", "role": role},
        ),
        201,
        "register",
    )
    token = await login(client, email, password)
    return Account(str(user["id"]), email, password, token)


async def login(client: httpx.AsyncClient, email: str, password: str) -> str:
    body = check(
        await client.post("/api/auth/login/", json={"email": email, "password": password}),
        200,
        "login",
    )
    return str(body["access_token"])


async def assign(client: httpx.AsyncClient, patient: Account, doctor_id: str) -> Any:
    return check(
        await client.post(
            "/api/assignments/", json={"doctor_id": doctor_id}, headers=patient.headers
        ),
        201,
        "assign",
    )


async def create_record(client: httpx.AsyncClient, patient: Account) -> str:
    record = check(
        await client.post("/api/records/", json=RECORD_BODY, headers=patient.headers),
        201,
        "create record",
    )
    return str(record["id"])


async def read_record(client: httpx.AsyncClient, account: Account, record_id: str) -> Any:
    return check(
        await client.get(f"/api/records/{record_id}/", headers=account.headers),
        200,
        "read record",
    )


async def list_page(
    client: httpx.AsyncClient, account: Account, limit: int, cursor: str | None
) -> Any:
    params = {"limit": str(limit)}
    if cursor:
        params["cursor"] = cursor
    return check(
        await client.get("/api/records/", params=params, headers=account.headers),
        200,
        "list records",
    )
