"""A PostgreSQL that says it cannot serve now (recovery, shutdown, full) answers 503, never 500.

Issue 10: during crash recovery every connection fails with SQLSTATE 57P03
and 21-88 requests per run answered 500.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from healthrecords.bootstrap import Container
from tests.faults.processes import ApiServer
from tests.faults.proxy import TcpProxy
from tests.faults.test_database_outage import CLIENT_TIMEOUT, PROBLEM, until_status
from tests.people import seed_user

AT_ONCE = 24


@pytest.mark.parametrize("sqlstate", ["57P03", "57P01", "53300"])
async def test_every_request_answers_503_with_retry_after_while_postgres_cannot_serve(
    api: ApiServer, pg_proxy: TcpProxy, direct: Container, sqlstate: str
) -> None:
    patient = await seed_user(direct)
    record = {"title": "Written during recovery", "record_type": "note", "content": "lost"}
    async with httpx.AsyncClient(base_url=api.base_url, timeout=CLIENT_TIMEOUT) as client:
        assert (await client.get("/api/records/", headers=patient.headers)).status_code == 200

        pg_proxy.refuse_with(sqlstate)
        calls = [
            client.get("/api/auth/me/", headers=patient.headers),
            client.get("/api/records/", headers=patient.headers),
            client.post("/api/records/", json=record, headers=patient.headers),
        ]
        answers = await asyncio.gather(*(calls[i % 3] for i in range(AT_ONCE)))
        ready = await client.get("/ready")
        refused = pg_proxy.refused

        pg_proxy.restore()
        await until_status(client, "/api/records/", 200, headers=patient.headers)
        listed = await client.get("/api/records/", headers=patient.headers)

    assert refused >= 1
    assert sorted({a.status_code for a in answers}) == [503]
    for answer in answers:
        assert answer.headers["content-type"].startswith(PROBLEM)
        assert int(answer.headers["retry-after"]) > 0
        assert answer.json()["status"] == 503
    assert ready.status_code == 503
    assert ready.json()["unreachable"] == ["database"]
    assert listed.json()["items"] == []
