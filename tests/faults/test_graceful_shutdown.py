"""SIGTERM to a real API process under load: in-flight requests finish, sockets get a close frame.

To know that requests are really in flight when the signal lands, the
database is blackholed first: each request then waits inside the server on
the proxy, which counts them. The signal is sent, the proxy restored, and
every one of them must complete.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from healthrecords.bootstrap import Container
from tests.faults.processes import ApiServer
from tests.faults.proxy import TcpProxy
from tests.people import seed_user

IN_FLIGHT = 8


async def wait_until(condition: object, what: str, deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < end, f"gave up waiting for {what}"
        await asyncio.sleep(0.02)


async def test_sigterm_lets_in_flight_requests_finish_and_closes_sockets_cleanly(
    api: ApiServer, pg_proxy: TcpProxy, direct: Container
) -> None:
    patient = await seed_user(direct)
    socket = await websockets.connect(f"{api.ws_url}/api/ws/notifications/")
    await socket.send(json.dumps({"type": "auth", "token": patient.token}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "ready"

    limits = httpx.Limits(max_connections=IN_FLIGHT * 2)
    async with httpx.AsyncClient(base_url=api.base_url, timeout=30, limits=limits) as client:
        pg_proxy.blackhole()
        requests = [
            asyncio.create_task(
                client.post(
                    "/api/records/",
                    json={"title": f"Reading {i}", "record_type": "vital_sign", "content": "ok"},
                    headers=patient.headers,
                )
            )
            for i in range(IN_FLIGHT)
        ]
        await wait_until(lambda: pg_proxy.held >= IN_FLIGHT, "every request to reach the DB")

        api.signal(signal.SIGTERM)
        await api.wait_for_output("Shutting down", deadline=10)
        pg_proxy.restore()
        responses = await asyncio.gather(*requests)

    assert [r.status_code for r in responses] == [201] * IN_FLIGHT
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), 10)
    # A close frame arrived (not a dropped TCP connection): 1012 "service restart".
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code in {1001, 1012}
    assert await api.wait_exit() in {0, -signal.SIGTERM}
