"""Input the validators let through but a database refuses is a 4xx, never a 500."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]
PROBLEM = "application/problem+json"


async def test_a_nul_character_in_an_email_is_refused_cleanly(client: Client) -> None:
    # Found by the schema fuzzer: PostgreSQL refuses NUL in text (SQLSTATE 22021).
    response = await client.post(
        "/api/auth/login/", json={"email": "a\u0000b@example.test", "password": "whatever-123"}
    )
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_a_nul_character_in_a_name_is_not_a_server_error(client: Client) -> None:
    response = await client.post(
        "/api/auth/register/",
        json={
            "email": "nul-name@example.test",
            "password": "Correct-Horse-Battery-9",
            "full_name": "Nul\u0000Name",
            "role": "patient",
        },
    )
    assert response.status_code < 500
