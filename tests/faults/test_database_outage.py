"""PostgreSQL cut away from a real API process: 503 at once, then the same process recovers."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from healthrecords.bootstrap import Container
from tests.faults.processes import ApiServer
from tests.faults.proxy import TcpProxy
from tests.people import SeededUser, seed_user

PROBLEM = "application/problem+json"
# A request that hangs past this fails the test with a ReadTimeout.
CLIENT_TIMEOUT = 15.0


async def until_status(client: httpx.AsyncClient, path: str, want: int, **kw: object) -> None:
    deadline = time.monotonic() + 20
    while (status := (await client.get(path, **kw)).status_code) != want:  # type: ignore[arg-type]
        assert time.monotonic() < deadline, f"{path} still answers {status}, not {want}"
        await asyncio.sleep(0.1)


async def test_requests_answer_503_while_postgres_is_cut_and_the_process_recovers(
    api: ApiServer, pg_proxy: TcpProxy, direct: Container
) -> None:
    patient: SeededUser = await seed_user(direct)
    async with httpx.AsyncClient(base_url=api.base_url, timeout=CLIENT_TIMEOUT) as client:
        assert (await client.get("/api/auth/me/", headers=patient.headers)).status_code == 200
        pid = api.pid

        pg_proxy.cut()
        ready = await client.get("/ready")
        me = await client.get("/api/auth/me/", headers=patient.headers)

        assert ready.status_code == 503
        assert ready.headers["content-type"].startswith(PROBLEM)
        assert ready.json()["unreachable"] == ["database"]
        assert me.status_code == 503
        assert me.headers["content-type"].startswith(PROBLEM)
        assert me.headers["retry-after"]
        assert me.json()["status"] == 503

        pg_proxy.restore()
        await until_status(client, "/ready", 200)
        await until_status(client, "/api/auth/me/", 200, headers=patient.headers)
        assert api.pid == pid
        assert api.running


async def test_a_write_refused_during_the_outage_leaves_nothing_behind(
    api: ApiServer, pg_proxy: TcpProxy, direct: Container
) -> None:
    patient = await seed_user(direct)
    record = {"title": "Written during an outage", "record_type": "note", "content": "lost"}
    async with httpx.AsyncClient(base_url=api.base_url, timeout=CLIENT_TIMEOUT) as client:
        pg_proxy.cut()
        refused = await client.post("/api/records/", json=record, headers=patient.headers)
        pg_proxy.restore()
        await until_status(client, "/api/records/", 200, headers=patient.headers)
        listed = await client.get("/api/records/", headers=patient.headers)

    assert refused.status_code == 503
    assert listed.json()["items"] == []


async def test_a_partitioned_database_answers_503_within_the_timeouts(
    api: ApiServer, pg_proxy: TcpProxy, direct: Container
) -> None:
    # Nothing comes back at all: only the driver's connect (5 s) and query
    # (10 s) timeouts end the wait; the client's 30 s bound must not be hit.
    patient = await seed_user(direct)
    async with httpx.AsyncClient(base_url=api.base_url, timeout=30) as client:
        assert (await client.get("/api/auth/me/", headers=patient.headers)).status_code == 200
        pg_proxy.blackhole()
        partitioned = await client.get("/api/auth/me/", headers=patient.headers)
        pg_proxy.restore()
        await until_status(client, "/api/auth/me/", 200, headers=patient.headers)

    assert partitioned.status_code == 503
    assert partitioned.headers["content-type"].startswith(PROBLEM)


async def test_an_outage_logs_its_cause_once_and_its_end_once(
    api: ApiServer, pg_proxy: TcpProxy, direct: Container
) -> None:
    patient = await seed_user(direct)
    async with httpx.AsyncClient(base_url=api.base_url, timeout=CLIENT_TIMEOUT) as client:
        assert (await client.get("/api/auth/me/", headers=patient.headers)).status_code == 200
        pg_proxy.cut()
        for _ in range(5):
            me = await client.get("/api/auth/me/", headers=patient.headers)
            assert me.status_code == 503
        pg_proxy.restore()
        await until_status(client, "/api/auth/me/", 200, headers=patient.headers)
        await api.wait_for_output("database reachable again")

    lines = [json.loads(line) for line in api.output().splitlines() if line.startswith("{")]
    down = [e for e in lines if e["message"].startswith("database unreachable")]
    back = [e for e in lines if e["message"] == "database reachable again"]
    assert len(down) == 1, down
    assert len(back) == 1
    assert down[0]["cause"], down[0]
    assert down[0]["level"] == "WARNING"  # the outage is not this process's bug
    assert down[0]["server"] == f"127.0.0.1:{pg_proxy.port}"
