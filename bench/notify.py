"""Scenario 5: notification latency, HTTP response -> frame at the doctor's socket.

An asyncio client, one assignment at a time: POST /api/assignments/ as a
patient, note the time the response is read, and wait for the doctor's frame
(timestamped by a reader task the moment it arrives). Every patient assigns
the doctor once, since a doctor/patient pair has at most one active
assignment. The client is idle between frames, so it does not bound the
figure; the server, the SAQ worker and Redis do.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench import seed
from bench.api import Account, FeatureMissing, check
from bench.processes import notification_worker
from bench.results import Row
from bench.scenarios import Context
from healthrecords.domain.users import Role

WS_PATH = "/api/ws/notifications/"
FRAME_TIMEOUT = 5.0
WARMUP = 20
CONNECT_PARALLEL = 20
# Generous: the machine is shared, and a socket's auth waits for a pool connection.
OPEN_TIMEOUT = 30.0

Frame = tuple[float, dict[str, Any]]


async def open_socket(ws_url: str, token: str, keepalive: bool = True) -> ClientConnection:
    """`keepalive=False`: no client pings, so an idle socket costs the server
    only its own pings (25 s apart), as a browser's would."""
    try:
        ws = await connect(
            ws_url + WS_PATH,
            open_timeout=OPEN_TIMEOUT,
            max_queue=None,
            ping_interval=20 if keepalive else None,
        )
    except Exception as exc:
        raise FeatureMissing(f"WebSocket {WS_PATH} refused the connection: {exc}") from exc
    await ws.send(json.dumps({"type": "auth", "token": token, "resume_after": None}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), timeout=OPEN_TIMEOUT))
    if reply.get("type") != "ready":
        await ws.close()
        raise RuntimeError(f"expected ready, got {reply.get('type')!r}")
    return ws


@asynccontextmanager
async def inbox(ws_url: str, token: str) -> AsyncIterator[asyncio.Queue[Frame]]:
    ws = await open_socket(ws_url, token)
    frames: asyncio.Queue[Frame] = asyncio.Queue()

    async def read() -> None:
        async for message in ws:
            arrived = time.perf_counter()
            data = json.loads(message)
            if data.get("type") == "notification":
                frames.put_nowait((arrived, data))

    reader = asyncio.create_task(read())
    try:
        yield frames
    finally:
        reader.cancel()
        await ws.close()


async def next_frame_for(frames: asyncio.Queue[Frame], patient_id: str, deadline: float) -> float:
    """Arrival time of the assignment frame that names this patient; skips anything else."""
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise TimeoutError
        arrived, data = await asyncio.wait_for(frames.get(), timeout=remaining)
        if data.get("kind") == "assignment.created" and patient_id in json.dumps(data):
            return arrived


async def latencies(
    client: httpx.AsyncClient,
    frames: asyncio.Queue[Frame],
    doctor: Account,
    patients: Sequence[Account],
) -> tuple[list[float], int]:
    measured: list[float] = []
    lost = 0
    for patient in patients:
        response = await client.post(
            "/api/assignments/", json={"doctor_id": doctor.id}, headers=patient.headers
        )
        answered = time.perf_counter()
        check(response, 201, "assign")
        try:
            arrived = await next_frame_for(frames, patient.id, answered + FRAME_TIMEOUT)
        except TimeoutError:
            lost += 1
            if lost >= 3 and not measured:
                raise RuntimeError(
                    "no notification frame arrived; is the worker running?"
                ) from None
            continue
        # A frame can beat the response to the client; it waited zero.
        measured.append(max(0.0, arrived - answered) * 1000)
    return measured, lost


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def latency_row(variant: str, values: list[float], lost: int, seconds: float) -> Row:
    return Row(
        scenario="5 notify",
        variant=variant,
        rps=round(len(values) / seconds, 1) if seconds else None,
        p50_ms=round(statistics.median(values), 2),
        p99_ms=round(percentile(values, 99), 2),
        errors=lost,
        requests=len(values),
        note="one at a time; req/s = assignments/s",
        detail={
            "max_ms": round(max(values), 2),
            "p90_ms": round(percentile(values, 90), 2),
            "lost_or_late": lost,
        },
    )


async def idle_sockets(
    stack: AsyncExitStack, ws_url: str, accounts: Sequence[Account]
) -> tuple[int, int]:
    """Opened and failed: on a busy machine some opens time out; they are
    counted, not fatal, and the figures are per socket actually opened."""
    gate = asyncio.Semaphore(CONNECT_PARALLEL)

    async def one(account: Account) -> ClientConnection | None:
        async with gate:
            try:
                return await open_socket(ws_url, account.token, keepalive=False)
            except (OSError, RuntimeError, TimeoutError, FeatureMissing, ConnectionClosed):
                return None

    sockets = await asyncio.gather(*(one(a) for a in accounts))
    opened = [ws for ws in sockets if ws is not None]
    for ws in opened:
        stack.push_async_callback(ws.close)
    return len(opened), len(sockets) - len(opened)


async def scenario_notify(ctx: Context) -> None:
    opts = ctx.options
    n, idle = opts.notifications, opts.idle_sockets
    async with seed.project_container(ctx.env) as container:
        doctor = (await seed.add_users(container, Role.DOCTOR, 1))[0]
        patients = await seed.add_users(container, Role.PATIENT, WARMUP + 2 * n)
        idlers = await seed.add_users(container, Role.PATIENT, idle)
    warm, first, second = patients[:WARMUP], patients[WARMUP : WARMUP + n], patients[WARMUP + n :]
    async with (
        notification_worker(ctx.env.app_env(), opts.log_dir) as worker,
        inbox(ctx.app.ws_url, doctor.token) as frames,
    ):
        await latencies(ctx.client, frames, doctor, warm)
        if worker.process.poll() is not None:
            raise RuntimeError("the worker exited:\n" + worker.log_tail())
        started = time.perf_counter()
        alone, lost = await latencies(ctx.client, frames, doctor, first)
        ctx.report.add(latency_row("alone", alone, lost, time.perf_counter() - started))
        async with AsyncExitStack() as stack:
            rss_before = ctx.app.rss_bytes()
            opening = time.perf_counter()
            opened, refused = await idle_sockets(stack, ctx.app.ws_url, idlers)
            opening = time.perf_counter() - opening
            await asyncio.sleep(2)
            rss_after = ctx.app.rss_bytes()
            started = time.perf_counter()
            crowded, lost_crowded = await latencies(ctx.client, frames, doctor, second)
            row = latency_row(
                f"with {opened:,} idle sockets",
                crowded,
                lost_crowded,
                time.perf_counter() - started,
            )
            per_socket = (rss_after - rss_before) / opened if opened else 0.0
            row.detail.update(
                rss_before_mib=round(rss_before / 2**20, 1),
                rss_after_mib=round(rss_after / 2**20, 1),
                bytes_per_idle_socket=round(per_socket),
                idle_sockets_failed_to_open=refused,
                seconds_to_open_idle_sockets=round(opening, 1),
                load_average=[round(x, 2) for x in os.getloadavg()],
            )
            row.note = (
                f"{per_socket / 1024:.1f} KiB RSS per idle socket; "
                f"opened {opened / opening:.0f}/s, {refused} failed"
            )
            ctx.report.add(row)
    ctx.report.target(
        "5 notify",
        "p99 alone",
        "< 20 ms",
        f"{percentile(alone, 99):.1f} ms",
        percentile(alone, 99) < 20,
    )
    crowded_p99 = percentile(crowded, 99)
    ctx.report.target(
        "5 notify",
        f"p99 with {opened:,} idle sockets",
        "< 50 ms",
        f"{crowded_p99:.1f} ms",
        crowded_p99 < 50,
    )
