"""One access-log line per request, with the status the client got, and the
response headers added in one pass (request id, security, rate limit)."""

from __future__ import annotations

import logging
from uuid import uuid4

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.domain.users import Role
from tests.api.conftest import MakeUser
from tests.api.test_records_api import create

Client = AsyncTestClient[Litestar]


async def test_each_request_logs_the_status_it_answered(
    client: Client, make_user: MakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    patient = await make_user(Role.PATIENT)
    record = await create(client, patient)
    caplog.set_level(logging.INFO, logger="healthrecords.access")
    asked = [
        (f"/api/records/{record['id']}/", patient.headers, 200),
        (f"/api/records/{uuid4()}/", patient.headers, 404),
        (f"/api/records/{record['id']}/", {"Authorization": "Bearer x"}, 401),
        ("/api/records/?limit=0", patient.headers, 400),
    ]
    for path, headers, status in asked:
        caplog.clear()
        answer = await client.get(path, headers={**headers, "X-Request-ID": "req-" + str(status)})
        assert answer.status_code == status
        assert answer.headers["x-request-id"] == f"req-{status}"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
        lines = [r for r in caplog.records if r.name == "healthrecords.access"]
        assert [(line.__dict__["path"], line.__dict__["status"]) for line in lines] == [
            (path.split("?")[0].rstrip("/"), status)
        ]


async def test_rate_limit_headers_appear_once(client: Client, make_user: MakeUser) -> None:
    patient = await make_user(Role.PATIENT)
    answer = await client.get("/api/records/", headers=patient.headers)
    assert answer.status_code == 200
    for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy"):
        assert len(answer.headers.get_list(name)) == 1, name
    assert int(answer.headers["ratelimit-remaining"]) < int(answer.headers["ratelimit-limit"])
