"""Scenario 6: sockets at scale. A burst of 1,000 connecting within a second
to a fresh server, then fan-out across two API processes (1,000 sockets
spread over both, each notification raised through the other one).

The file limit is raised to the hard limit first (`raise_file_limit`, also
called for scenario 5's 10,000 idle sockets); servers inherit it.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import AsyncExitStack

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench import seed
from bench.api import Account, check
from bench.notify import WS_PATH, Frame, inbox, next_frame_for, percentile
from bench.processes import Service, app_server, notification_worker
from bench.results import Row
from bench.scenarios import Context
from healthrecords.domain.users import Role

BURST = 1000
BURST_SECONDS = 1.0
FANOUT = 1000
READY_DEADLINE = 60.0
OPEN_ATTEMPTS = 5


def raise_file_limit() -> int:
    """Soft limit up to the hard one; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def _ready_or_code(url: str, token: str, delay: float) -> tuple[str, ClientConnection | None]:
    await asyncio.sleep(delay)
    try:
        ws = await connect(url + WS_PATH, open_timeout=READY_DEADLINE, max_queue=None)
    except Exception as exc:
        return f"connect failed: {type(exc).__name__}", None
    try:
        await ws.send(json.dumps({"type": "auth", "token": token, "resume_after": None}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), READY_DEADLINE))
    except ConnectionClosed as closed:
        return f"closed {closed.rcvd.code if closed.rcvd else None}", None
    except TimeoutError:
        return "no answer", ws
    return ("ready" if reply.get("type") == "ready" else f"frame {reply.get('type')}"), ws


async def burst(ctx: Context, accounts: Sequence[Account]) -> None:
    async with (
        app_server(ctx.env.app_env(), ctx.options.log_dir, ctx.env.server) as fresh,
        AsyncExitStack() as stack,
    ):
        rss_before = fresh.rss_bytes()
        started = time.perf_counter()
        step = BURST_SECONDS / len(accounts)
        results = await asyncio.gather(
            *(_ready_or_code(fresh.ws_url, a.token, i * step) for i, a in enumerate(accounts))
        )
        took = time.perf_counter() - started
        for _, ws in results:
            if ws is not None:
                stack.push_async_callback(ws.close)
        outcomes = Counter(outcome for outcome, _ in results)
        ctx.report.add(
            Row(
                scenario="6 sockets",
                variant=f"burst: {len(accounts):,} connecting within {BURST_SECONDS:g} s",
                rps=round(outcomes["ready"] / took, 1),
                p50_ms=None,
                p99_ms=None,
                errors=len(accounts) - outcomes["ready"],
                requests=len(accounts),
                note=f"all answered in {took:.2f} s; outcomes {dict(outcomes)}",
                detail={
                    "seconds_until_all_answered": round(took, 2),
                    "outcomes": dict(outcomes),
                    "rss_growth_mib": round((fresh.rss_bytes() - rss_before) / 2**20, 1),
                },
            )
        )


async def fan_out(ctx: Context, doctors: Sequence[Account], patients: Sequence[Account]) -> None:
    """Doctors' sockets alternate between the two servers; each patient's
    assignment is posted to the server that does not hold its doctor's socket."""
    app_a: Service = ctx.app
    async with (
        notification_worker(ctx.env.app_env(), ctx.options.log_dir),
        app_server(ctx.env.app_env(), ctx.options.log_dir, ctx.env.server) as app_b,
        httpx.AsyncClient(base_url=app_a.base_url, timeout=30) as client_a,
        httpx.AsyncClient(base_url=app_b.base_url, timeout=30) as client_b,
        AsyncExitStack() as stack,
    ):
        gate = asyncio.Semaphore(20)

        async def open_inbox(i: int, doctor: Account) -> asyncio.Queue[Frame]:
            server = app_a if i % 2 == 0 else app_b
            for attempt in range(OPEN_ATTEMPTS):
                try:
                    async with gate:
                        return await stack.enter_async_context(inbox(server.ws_url, doctor.token))
                except ConnectionClosed:  # 1013 on a busy server: retry, as a client would
                    if attempt == OPEN_ATTEMPTS - 1:
                        raise
                    await asyncio.sleep(1.0)
            raise AssertionError("unreachable")

        inboxes = await asyncio.gather(*(open_inbox(i, d) for i, d in enumerate(doctors)))
        measured: list[float] = []
        lost = 0
        started = time.perf_counter()
        for i, (doctor, patient, frames) in enumerate(zip(doctors, patients, inboxes, strict=True)):
            client = client_b if i % 2 == 0 else client_a
            response = await client.post(
                "/api/assignments/", json={"doctor_id": doctor.id}, headers=patient.headers
            )
            answered = time.perf_counter()
            check(response, 201, "assign")
            try:
                arrived = await next_frame_for(frames, patient.id, answered + 5.0)
            except TimeoutError:
                lost += 1
                continue
            measured.append(max(0.0, arrived - answered) * 1000)
        seconds = time.perf_counter() - started
    if not measured:
        raise RuntimeError("no cross-process notification arrived")
    ctx.report.add(
        Row(
            scenario="6 sockets",
            variant=f"fan-out: {len(doctors):,} sockets over 2 API processes",
            rps=round(len(measured) / seconds, 1),
            p50_ms=round(percentile(measured, 50), 2),
            p99_ms=round(percentile(measured, 99), 2),
            errors=lost,
            requests=len(measured),
            note="each raised through the other process; one at a time",
            detail={"max_ms": round(max(measured), 2), "lost_or_late": lost},
        )
    )


async def scenario_sockets(ctx: Context) -> None:
    async with seed.project_container(ctx.env) as container:
        bursters = await seed.add_users(container, Role.PATIENT, BURST)
        doctors = await seed.add_users(container, Role.DOCTOR, FANOUT)
        patients = await seed.add_users(container, Role.PATIENT, FANOUT)
    await burst(ctx, bursters)
    await fan_out(ctx, doctors, patients)


async def scenario_fanout(ctx: Context) -> None:
    async with seed.project_container(ctx.env) as container:
        doctors = await seed.add_users(container, Role.DOCTOR, FANOUT)
        patients = await seed.add_users(container, Role.PATIENT, FANOUT)
    await fan_out(ctx, doctors, patients)
