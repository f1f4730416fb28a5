"""Scenarios 1-4: HTTP throughput and latency with wrk against the real server."""

from __future__ import annotations

import asyncio
import functools
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from urllib.parse import urlencode
from uuid import UUID

import asyncpg
import httpx

from bench import api, seed
from bench.api import Account
from bench.environment import BenchEnvironment
from bench.loadgen import LoadResult, run_wrk
from bench.processes import (
    Measured,
    Service,
    baseline_server,
    cpu_snapshot,
    cpu_usage,
    py_spy,
)
from bench.results import Report, Row
from healthrecords.domain.pagination import Cursor

LOGIN_CONNECTIONS = 4
# Logins beside the reads: one login in flight at a time, back to back (about
# one core of argon2 on this machine), against the read load's full concurrency.
LOGINS_BESIDE_READS = 1


@dataclass
class Options:
    seconds: float
    warmup: float
    connections: int
    rounds: int
    records: int
    notifications: int
    idle_sockets: int
    log_dir: Path
    profile: bool = False


@dataclass
class Context:
    env: BenchEnvironment
    app: Service
    options: Options
    report: Report
    client: httpx.AsyncClient
    _people: tuple[Account, Account, str] | None = field(default=None, init=False)
    _profiles: int = field(default=0, init=False)

    async def people(self) -> tuple[Account, Account, str]:
        """A patient with one record and a doctor assigned to it, all through the API."""
        if self._people is None:
            patient = await api.register(self.client, "patient")
            doctor = await api.register(self.client, "doctor")
            await api.assign(self.client, patient, doctor.id)
            record_id = await api.create_record(self.client, patient)
            await api.read_record(self.client, doctor, record_id)
            self._people = (patient, doctor, record_id)
        return self._people

    async def load(
        self,
        path: str,
        *,
        target: Measured | None = None,
        database: str = "",
        connections: int | None = None,
        method: str = "GET",
        body: str = "",
        token: str = "",
    ) -> LoadResult:
        """Warm up, then measure (and optionally profile) `target`, the app by default."""
        target = target or self.app
        database = database or self.env.database
        url = target.base_url + path
        conns = connections or self.options.connections
        request = functools.partial(
            run_wrk, url, connections=conns, method=method, body=body, token=token
        )
        if self.options.warmup:
            await request(seconds=self.options.warmup)
        measured = request(seconds=self.options.seconds)
        before = cpu_snapshot(target, database)
        if not self.options.profile or target is not self.app:
            result = await measured
        else:
            self._profiles += 1
            name = f"profile-{self._profiles:02d}-{method}-{slug(path)}.txt"
            async with py_spy(self.app, self.options.log_dir / name, self.options.seconds):
                result = await measured
        result.cpu.update(cpu_usage(before, cpu_snapshot(target, database)))
        return result


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.split("?")[0].lower()).strip("-")[:40]


def row(scenario: str, variant: str, result: LoadResult, note: str = "") -> Row:
    if result.cpu and result.rps:
        # CPU time per request survives a busy machine better than req/s does.
        ms = 1000 * result.cpu["app_cores"] / result.rps
        db_ms = 1000 * result.cpu.get("database_cores", 0.0) / result.rps
        result.cpu["server_cpu_ms_per_request"] = round(ms, 2)
        result.cpu["database_cpu_ms_per_request"] = round(db_ms, 2)
        result.cpu["total_cpu_ms_per_request"] = round(ms + db_ms, 2)
        cpu = (
            f"server {ms:.2f} + pg {db_ms:.2f} CPU-ms/req; cores: server "
            f"{result.cpu['app_cores']}, pg (this db) {result.cpu.get('database_cores', 0.0)}, "
            f"pg (all) {result.cpu['postgres_cores']}"
        )
        note = f"{note}; {cpu}" if note else cpu
    return Row(
        scenario=scenario,
        variant=variant,
        rps=result.rps,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        errors=result.errors,
        requests=result.requests,
        note=note,
        detail=result.as_dict(),
    )


async def scenario_read(ctx: Context) -> None:
    """1: an assigned doctor reads one record, against the bare baseline, rounds alternated."""
    _, doctor, record_id = await ctx.people()
    path = f"/api/records/{record_id}/"
    app_runs: list[LoadResult] = []
    base_runs: list[LoadResult] = []
    async with baseline_server(
        ctx.env.baseline_env(), ctx.options.log_dir, ctx.env.server
    ) as baseline:
        probe = await ctx.client.get(baseline.base_url + path)
        if probe.status_code != 200:
            raise RuntimeError(f"baseline answers {probe.status_code} for the record")
        for _ in range(ctx.options.rounds):
            base_runs.append(await ctx.load(path, target=baseline))
            app_runs.append(await ctx.load(path, token=doctor.token))
    for i, (b, a) in enumerate(zip(base_runs, app_runs, strict=True), start=1):
        ctx.report.add(row("1 read", f"baseline, round {i}", b, "raw asyncpg, no auth"))
        ctx.report.add(row("1 read", f"app, round {i}", a, f"{a.rps / b.rps:.2f}x baseline"))
    ratio = sum(a.rps for a in app_runs) / sum(b.rps for b in base_runs)
    ctx.report.target("1 read", "throughput vs baseline", ">= 0.50x", f"{ratio:.2f}x", ratio >= 0.5)


async def scenario_list(ctx: Context) -> None:
    """2: the first page and a page ~500 deep of a 100,000-record file."""
    opts = ctx.options
    patient = await api.register(ctx.client, "patient")
    started = time.monotonic()
    async with seed.project_container(ctx.env) as container:
        await seed.add_records(container, UUID(patient.id), opts.records)
    # A settled table, as in production: fresh statistics and visibility map,
    # and no autovacuum kicking in during the measured runs.
    conn = await asyncpg.connect(ctx.env.asyncpg_dsn)
    try:
        await conn.execute("VACUUM ANALYZE health_record")
    finally:
        await conn.close()
    seeded = time.monotonic() - started
    print(f"  seeded {opts.records:,} records in {seeded:.0f} s", flush=True)
    deep_page = min(500, opts.records // 20)
    cursor: str | None = None
    started = time.monotonic()
    for _ in range(deep_page - 1):
        page = await api.list_page(ctx.client, patient, 20, cursor)
        cursor = page["next_cursor"]
        if not cursor:
            raise RuntimeError("the list ended before the deep page")
    walked = time.monotonic() - started
    deep_path = "/api/records/?" + urlencode({"limit": 20, "cursor": cursor})
    firsts: list[LoadResult] = []
    deeps: list[LoadResult] = []
    # Alternated, so a noisy neighbour on the machine hits both about equally.
    for i in range(1, opts.rounds + 1):
        firsts.append(await ctx.load("/api/records/?limit=20", token=patient.token))
        deeps.append(await ctx.load(deep_path, token=patient.token))
        note = f"{opts.records:,} records in the file"
        ctx.report.add(row("2 list", f"page 1, round {i}", firsts[-1], note))
        note = f"cursor from walking {walked:.1f} s"
        ctx.report.add(row("2 list", f"page {deep_page}, round {i}", deeps[-1], note))
    for label, plan in (await page_plans(ctx, patient.id, cursor)).items():
        ctx.report.add(Row(scenario="2 list", variant=f"{label}, PostgreSQL only", note=plan))
    ratio = mean(d.p50_ms for d in deeps) / mean(f.p50_ms for f in firsts)
    rps_ratio = sum(f.rps for f in firsts) / sum(d.rps for d in deeps)
    ctx.report.target(
        "2 list",
        f"page {deep_page} p50 vs page 1",
        "<= 1.5x",
        f"{ratio:.2f}x p50, {rps_ratio:.2f}x time per request",
        ratio <= 1.5,
    )


# The statement SqlRecordRepository.list issues for one patient's file.
PAGE_SQL = """
SELECT * FROM health_record
WHERE patient_id = $1 AND deleted_at IS NULL {after}
ORDER BY recorded_at DESC, id DESC LIMIT 21
"""


async def page_plans(ctx: Context, patient_id: str, cursor: str) -> dict[str, str]:
    """EXPLAIN ANALYZE of page 1 and the deep page: the database's share, without HTTP noise."""
    after = Cursor.decode(cursor)
    conn = await asyncpg.connect(ctx.env.asyncpg_dsn)
    plans: dict[str, str] = {}
    try:
        for label, sql, args in (
            ("page 1", PAGE_SQL.format(after=""), [UUID(patient_id)]),
            (
                "deep page",
                PAGE_SQL.format(after="AND (recorded_at, id) < ($2, $3)"),
                [UUID(patient_id), after.at, after.id],
            ),
        ):
            times = []
            for _ in range(20):
                plan = await conn.fetchval("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, *args)
                top = json.loads(plan)[0]
                times.append(top["Execution Time"])
            node = top["Plan"]
            while node.get("Plans") and node["Node Type"] == "Limit":
                node = node["Plans"][0]
            plans[label] = (
                f"{node['Node Type']} on {node.get('Index Name', node.get('Relation Name'))}, "
                f"{node.get('Shared Hit Blocks', 0) + node.get('Shared Read Blocks', 0)} buffers, "
                f"median execution {sorted(times)[len(times) // 2]:.3f} ms"
            )
    finally:
        await conn.close()
    return plans


async def scenario_create(ctx: Context) -> None:
    """3: a patient adds records."""
    patient, _, _ = await ctx.people()
    result = await ctx.load(
        "/api/records/", method="POST", body=json.dumps(api.RECORD_BODY), token=patient.token
    )
    ctx.report.add(row("3 create", "POST /api/records/", result))


async def scenario_login(ctx: Context) -> None:
    """4: login throughput, then scenario 1's latency with logins running beside it."""
    _, doctor, record_id = await ctx.people()
    user = await api.register(ctx.client, "patient")
    login = json.dumps({"email": user.email, "password": user.password})
    logins = await ctx.load(
        "/api/auth/login/", connections=LOGIN_CONNECTIONS, method="POST", body=login
    )
    ctx.report.add(row("4 login", f"logins alone, {LOGIN_CONNECTIONS} conns", logins, "argon2id"))
    read_path = f"/api/records/{record_id}/"
    alone: list[LoadResult] = []
    beside: list[LoadResult] = []
    for i in range(1, ctx.options.rounds + 1):
        alone.append(await ctx.load(read_path, token=doctor.token))
        ctx.report.add(row("4 login", f"reads alone, round {i}", alone[-1]))
        reads, side = await reads_beside_logins(ctx, read_path, doctor.token, login)
        beside.append(reads)
        ctx.report.add(row("4 login", f"reads beside logins, round {i}", reads))
        note = f"argon2id, {LOGINS_BESIDE_READS} conn"
        ctx.report.add(row("4 login", f"logins beside reads, round {i}", side, note))
    ratio = mean(b.p99_ms for b in beside) / mean(a.p99_ms for a in alone)
    ctx.report.target(
        "4 login", "read p99 with logins vs alone", "<= 2x", f"{ratio:.2f}x", ratio <= 2
    )


async def reads_beside_logins(
    ctx: Context, read_path: str, token: str, login: str
) -> tuple[LoadResult, LoadResult]:
    seconds = ctx.options.seconds
    background = asyncio.create_task(
        run_wrk(
            ctx.app.base_url + "/api/auth/login/",
            seconds=seconds + 2,
            connections=LOGINS_BESIDE_READS,
            method="POST",
            body=login,
        )
    )
    try:
        # Logins already running when the measured reads start.
        await asyncio.sleep(1)
        reads = await run_wrk(
            ctx.app.base_url + read_path,
            seconds=seconds,
            connections=ctx.options.connections,
            token=token,
        )
    finally:
        side = await background
    return reads, side
