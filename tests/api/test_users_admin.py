"""Admins list accounts and switch them off and on; switching off works within seconds."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.active_users import ACTIVE_USER_SECONDS
from tests.api.conftest import MakeUser
from tests.api.test_auth import bearer, login, new_email, register, strong_password

Client = AsyncTestClient[Litestar]


async def all_pages(
    client: Client, path: str, headers: dict[str, str], **filters: str
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": "100", **filters, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def answers_401_within_the_bound(client: Client, headers: dict[str, str]) -> None:
    # Each process remembers an active caller for ACTIVE_USER_SECONDS at most.
    deadline = time.monotonic() + ACTIVE_USER_SECONDS + 3
    while (status := (await client.get("/api/auth/me/", headers=headers)).status_code) != 401:
        assert status == 200
        assert time.monotonic() < deadline, "a deactivated account still reads its profile"
        await asyncio.sleep(0.1)


async def test_deactivation_stops_access_tokens_within_seconds_and_refresh_tokens_at_once(
    client: Client, make_user: MakeUser
) -> None:
    admin = await make_user(role=Role.ADMIN)
    email, password = new_email(), strong_password()
    user = await register(client, email, password)
    pair = await login(client, email, password)
    assert (await client.get("/api/auth/me/", headers=bearer(pair["access_token"]))).is_success

    off = await client.patch(
        f"/api/users/{user['id']}/", json={"is_active": False}, headers=admin.headers
    )
    assert off.status_code == 200
    assert off.json()["is_active"] is False
    refresh = await client.post("/api/auth/refresh/", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401
    relogin = await client.post("/api/auth/login/", json={"email": email, "password": password})
    assert relogin.status_code == 401
    await answers_401_within_the_bound(client, bearer(pair["access_token"]))

    on = await client.patch(
        f"/api/users/{user['id']}/", json={"is_active": True}, headers=admin.headers
    )
    assert on.status_code == 200
    assert on.json()["is_active"] is True
    # Tokens revoked while it was off stay revoked; a new login works.
    still = await client.post("/api/auth/refresh/", json={"refresh_token": pair["refresh_token"]})
    assert still.status_code == 401
    await login(client, email, password)

    events = await client.get(
        "/api/audit/", params={"actor_id": str(admin.id)}, headers=admin.headers
    )
    trail = [(e["action"], e["target_id"]) for e in events.json()["items"]]
    assert ("user.deactivate", user["id"]) in trail
    assert ("user.activate", user["id"]) in trail


async def test_only_admins_manage_users(client: Client, make_user: MakeUser) -> None:
    for role in (Role.PATIENT, Role.DOCTOR):
        caller = await make_user(role=role)
        target = await make_user()
        listing = await client.get("/api/users/", headers=caller.headers)
        assert listing.status_code == 403
        change = await client.patch(
            f"/api/users/{target.id}/", json={"is_active": False}, headers=caller.headers
        )
        assert change.status_code == 403
        assert change.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/api/users/")).status_code == 401


async def test_activation_errors(client: Client, make_user: MakeUser) -> None:
    admin = await make_user(role=Role.ADMIN)
    missing = await client.patch(
        "/api/users/00000000-0000-4000-8000-000000000000/",
        json={"is_active": False},
        headers=admin.headers,
    )
    assert missing.status_code == 404
    yourself = await client.patch(
        f"/api/users/{admin.id}/", json={"is_active": False}, headers=admin.headers
    )
    assert yourself.status_code == 409
    target = await make_user()
    for body in ({}, {"is_active": "no"}, {"is_active": False, "role": "admin"}):
        bad = await client.patch(f"/api/users/{target.id}/", json=body, headers=admin.headers)
        assert bad.status_code == 400, body
    not_uuid = await client.patch(
        "/api/users/123/", json={"is_active": False}, headers=admin.headers
    )
    assert not_uuid.status_code in (400, 404)


async def test_admins_page_through_users_and_filter_by_role(
    client: Client, make_user: MakeUser
) -> None:
    admin = await make_user(role=Role.ADMIN)
    doctor = await make_user(role=Role.DOCTOR)
    patient = await make_user(role=Role.PATIENT)
    first = await client.get("/api/users/", params={"limit": "1"}, headers=admin.headers)
    assert first.status_code == 200
    assert len(first.json()["items"]) == 1
    assert first.json()["next_cursor"]
    everyone = await all_pages(client, "/api/users/", admin.headers)
    ids = [u["id"] for u in everyone]
    assert len(ids) == len(set(ids))
    assert {str(doctor.id), str(patient.id), str(admin.id)} <= set(ids)
    assert all("password" not in key for u in everyone for key in u)
    doctors = await all_pages(client, "/api/users/", admin.headers, role="doctor")
    assert {u["role"] for u in doctors} == {"doctor"}
    assert str(doctor.id) in {u["id"] for u in doctors}
    bad_cursor = await client.get(
        "/api/users/", params={"cursor": "not-a-cursor"}, headers=admin.headers
    )
    assert bad_cursor.status_code == 422
    for params in ({"limit": "0"}, {"limit": "101"}, {"role": "nurse"}):
        assert (
            await client.get("/api/users/", params=params, headers=admin.headers)
        ).status_code == 400


async def test_the_doctors_directory_lists_active_doctors_to_anyone_signed_in(
    client: Client, make_user: MakeUser
) -> None:
    name = f"Dr {secrets.token_hex(4)}"
    doctor = await make_user(role=Role.DOCTOR, full_name=name)
    gone = await make_user(role=Role.DOCTOR)
    patient = await make_user()
    admin = await make_user(role=Role.ADMIN)
    off = await client.patch(
        f"/api/users/{gone.id}/", json={"is_active": False}, headers=admin.headers
    )
    assert off.status_code == 200
    listed = await all_pages(client, "/api/doctors/", patient.headers)
    assert {"id": str(doctor.id), "full_name": name, "verified": False} in listed
    assert all(set(d) == {"id", "full_name", "verified"} for d in listed)
    assert str(gone.id) not in {d["id"] for d in listed}
    assert str(patient.id) not in {d["id"] for d in listed}
    assert (await client.get("/api/doctors/")).status_code == 401
