from __future__ import annotations

import dataclasses

from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.config import Settings
from healthrecords.entrypoints.http.app import create_app

PROBLEM = "application/problem+json"


async def test_health_answers_ok(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_names_every_backend_it_checked(
    client: AsyncTestClient[Litestar], settings: Settings
) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    expected = ["database", "redis"] if settings.redis_url else ["database"]
    assert response.json() == {"status": "ready", "checks": expected}


async def test_ready_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    broken = dataclasses.replace(
        settings, database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none"
    )
    async with AsyncTestClient(create_app(broken)) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "database" in response.json()["unreachable"]


async def test_ready_is_503_when_redis_is_unreachable(production_settings: Settings) -> None:
    broken = dataclasses.replace(production_settings, redis_url="redis://127.0.0.1:1/0")
    async with AsyncTestClient(create_app(broken)) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["unreachable"] == ["redis"]


async def test_unknown_route_is_a_problem_document(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == 404


async def test_wrong_method_is_405_problem(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/health")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_security_headers_on_every_response(client: AsyncTestClient[Litestar]) -> None:
    for path in ("/health", "/api/missing/"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-request-id"]
        assert response.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in response.headers


async def test_hsts_when_configured(settings: Settings) -> None:
    with_hsts = dataclasses.replace(settings, hsts_max_age=31536000)
    async with AsyncTestClient(create_app(with_hsts)) as client:
        response = await client.get("/health")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_cors_allows_no_origin_by_default(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


async def test_cors_allows_a_configured_origin(settings: Settings) -> None:
    allowed = dataclasses.replace(settings, cors_origins=("https://app.example",))
    async with AsyncTestClient(create_app(allowed)) as client:
        ok = await client.get("/health", headers={"Origin": "https://app.example"})
        other = await client.get("/health", headers={"Origin": "https://evil.example"})
    assert ok.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in other.headers


async def test_openapi_schema_documents_the_api(client: AsyncTestClient[Litestar]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/health" in schema["paths"]
    assert "/ready" in schema["paths"]
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]


async def test_a_client_request_id_is_echoed(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    unsafe = await client.get("/health", headers={"X-Request-ID": "bad id\nwith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\nwith spaces"
