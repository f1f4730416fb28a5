"""PostgreSQL cut away under open notification sockets: 1013, one warning, recovery."""

from __future__ import annotations

import asyncio
import json
import time

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from healthrecords.bootstrap import Container
from tests.faults.processes import ApiServer
from tests.faults.proxy import TcpProxy
from tests.people import SeededUser, seed_user

PATH = "/api/ws/notifications/"
SOCKETS = 4
# The account check runs every 5 s; the driver's connect timeout is 5 s.
CLOSE_DEADLINE = 30.0
OUTAGE_WARNING = "notification sockets cannot read the database"


async def _ready(api: ApiServer, user: SeededUser) -> ClientConnection:
    ws = await websockets.connect(f"{api.ws_url}{PATH}", open_timeout=10)
    await ws.send(json.dumps({"type": "auth", "token": user.token, "resume_after": None}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"type": "ready"}
    return ws


async def _close_code(ws: ClientConnection) -> int | None:
    end = time.monotonic() + CLOSE_DEADLINE
    try:
        while time.monotonic() < end:
            await asyncio.wait_for(ws.recv(), end - time.monotonic())
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    raise AssertionError("the server did not close the socket")


async def test_an_outage_closes_sockets_1013_logs_one_warning_and_sockets_work_after(
    api: ApiServer, pg_proxy: TcpProxy, direct: Container
) -> None:
    users = [await seed_user(direct) for _ in range(SOCKETS)]
    sockets = [await _ready(api, user) for user in users]

    pg_proxy.cut()
    late = await websockets.connect(f"{api.ws_url}{PATH}", open_timeout=10)
    await late.send(json.dumps({"type": "auth", "token": users[0].token}))
    codes = await asyncio.gather(*(_close_code(ws) for ws in [*sockets, late]))

    assert codes == [1013] * (SOCKETS + 1)
    log = api.output()
    assert log.count(OUTAGE_WARNING) == 1, api.tail()
    assert '"ERROR"' not in log, api.tail()

    pg_proxy.restore()
    end = time.monotonic() + CLOSE_DEADLINE
    while True:
        try:
            ws = await _ready(api, users[0])
            break
        except (ConnectionClosed, AssertionError):
            assert time.monotonic() < end, "sockets did not work again after the outage"
            await asyncio.sleep(0.2)
    await ws.close()
