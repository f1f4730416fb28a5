"""Limits on what one request can make the server do, each a clear 4xx problem."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.api.conftest import MakeUser

Client = AsyncTestClient[Litestar]
PROBLEM = "application/problem+json"


async def records_of(client: Client, headers: dict[str, str]) -> list[str]:
    response = await client.get("/api/records/", params={"limit": 100}, headers=headers)
    assert response.status_code == 200
    return [r["id"] for r in response.json()["items"]]


async def test_a_body_over_the_limit_is_413_and_stores_nothing(
    client: Client, make_user: MakeUser, settings: Settings
) -> None:
    patient = await make_user(Role.PATIENT)
    huge = {"title": "big", "record_type": "note", "content": "x" * settings.max_body_bytes}

    response = await client.post("/api/records/", json=huge, headers=patient.headers)

    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)
    assert await records_of(client, patient.headers) == []


async def test_absurdly_nested_json_is_400(client: Client, make_user: MakeUser) -> None:
    patient = await make_user(Role.PATIENT)
    deep = "[" * 50_000 + "]" * 50_000

    response = await client.post(
        "/api/records/",
        content=deep.encode(),
        headers={**patient.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_page_size_is_1_to_100(client: Client, make_user: MakeUser) -> None:
    patient = await make_user(Role.PATIENT)
    for path in ("/api/records/", "/api/notifications/", "/api/records/access-log/"):
        for limit in (0, 101, -1):
            response = await client.get(path, params={"limit": limit}, headers=patient.headers)
            assert response.status_code == 400, (path, limit)
            assert response.headers["content-type"].startswith(PROBLEM)
            assert response.json()["errors"][0]["field"] == "limit"
