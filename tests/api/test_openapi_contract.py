"""/schema/openapi.json says what the server really does, so a generated client can trust it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.records import RecordType

Client = AsyncTestClient[Litestar]
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
async def schema(client: Client) -> dict[str, Any]:
    found: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
    return found


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def statuses(schema: dict[str, Any], method: str, path: str) -> set[int]:
    return {int(s) for s in schema["paths"][path][method.lower()]["responses"]}


def component(schema: dict[str, Any], ref_holder: dict[str, Any]) -> dict[str, Any]:
    name = ref_holder["$ref"].rsplit("/", 1)[1]
    found: dict[str, Any] = schema["components"]["schemas"][name]
    return found


def test_each_operation_declares_only_the_problems_it_can_answer(
    schema: dict[str, Any],
) -> None:
    assert statuses(schema, "POST", "/api/auth/login") == {200, 400, 401, 413, 429, 503}
    # 403: an admin (two-factor required by default) that has not enrolled yet.
    assert statuses(schema, "GET", "/api/auth/me") == {200, 401, 403, 429, 503}
    # The enrolment routes stay open to it, so they answer no such 403.
    assert statuses(schema, "POST", "/api/auth/mfa/totp") == {201, 401, 409, 429, 503}
    assert statuses(schema, "POST", "/api/auth/mfa/verify") == {200, 400, 401, 413, 429, 503}
    assert statuses(schema, "GET", "/health") == {200, 429}
    assert 412 in statuses(schema, "PUT", "/api/records/{record_id}")
    assert 412 not in statuses(schema, "GET", "/api/records/{record_id}")
    for method, path, op in operations(schema):
        declared = statuses(schema, method, path)
        assert (401 in declared) >= bool(op.get("security")), (method, path)
        assert (413 in declared) == ("requestBody" in op), (method, path)
        assert (404 in declared) >= ("{" in path), (method, path)


def test_record_answers_declare_their_etag(schema: dict[str, Any]) -> None:
    for method, path, code in [
        ("get", "/api/records/{record_id}", "200"),
        ("put", "/api/records/{record_id}", "200"),
        ("post", "/api/records", "201"),
    ]:
        headers = schema["paths"][path][method]["responses"][code]["headers"]
        assert headers["ETag"]["schema"] == {"type": "string"}
        assert headers["ETag"]["required"] is True


def test_health_and_ready_have_typed_bodies(schema: dict[str, Any]) -> None:
    def body(path: str) -> dict[str, Any]:
        content = schema["paths"][path]["get"]["responses"]["200"]["content"]
        return component(schema, content["application/json"]["schema"])

    assert body("/health")["properties"]["status"]["const"] == "ok"
    ready = body("/ready")["properties"]
    assert ready["status"]["const"] == "ready"
    assert ready["checks"]["items"]["enum"] == ["database", "redis"]


def test_kinds_and_record_types_are_enums(schema: dict[str, Any]) -> None:
    schemas = schema["components"]["schemas"]
    kind = component(schema, schemas["NotificationOut"]["properties"]["kind"])
    record_type = component(schema, schemas["RecordOut"]["properties"]["record_type"])

    assert set(kind["enum"]) == {k.value for k in NotificationKind}
    assert set(record_type["enum"]) == {t.value for t in RecordType}


async def test_bodies_that_refuse_unknown_fields_say_so(
    schema: dict[str, Any], client: Client
) -> None:
    schemas = schema["components"]["schemas"]
    for name in ["RegisterIn", "LoginIn", "RecordIn", "RecordUpdateIn", "AnnotationIn"]:
        assert schemas[name]["additionalProperties"] is False, name
    # And the server does refuse them.
    answer = await client.post(
        "/api/auth/login/", json={"email": "a@example.org", "password": "x", "extra": 1}
    )
    assert answer.status_code == 400
