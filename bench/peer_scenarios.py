"""Scenarios 6 and 7: the DRF peer, baseline and app side by side; a doctor's 1,000 files."""

from __future__ import annotations

import json
from statistics import median
from uuid import UUID, uuid4

from bench import api, seed
from bench.loadgen import LoadResult
from bench.peer import DOCTOR, PATIENT, drf_peer
from bench.processes import baseline_server
from bench.results import Row
from bench.scenarios import Context, row
from healthrecords.domain.assignments import Assignment
from healthrecords.domain.users import Role

# The peer seeds 1,000 records in one assigned patient's file; the app gets the same.
FILE_RECORDS = 1000
CREATE_BODY = {**api.RECORD_BODY, "recorded_at": "2026-01-01T08:00:00Z"}


def total_ms(result: LoadResult) -> float:
    """Server plus PostgreSQL CPU per request: what a request costs the machine."""
    return result.cpu.get("total_cpu_ms_per_request", 0.0) or float("inf")


def per_cpu(app: list[LoadResult], peer: list[LoadResult]) -> float:
    """How many times more requests the app serves per CPU-second than the peer."""
    return median(total_ms(p) for p in peer) / median(total_ms(a) for a in app)


async def scenario_peer(ctx: Context) -> None:
    """6: read, list page of 20 and create on the DRF peer, the baseline and the app."""
    patient, doctor, record_id = await ctx.people()
    async with seed.project_container(ctx.env) as container:
        await seed.add_records(container, UUID(patient.id), FILE_RECORDS - 1)
    body = json.dumps(CREATE_BODY)
    runs: dict[str, list[LoadResult]] = {}

    def keep(name: str, variant: str, result: LoadResult, note: str = "") -> None:
        runs.setdefault(name, []).append(result)
        ctx.report.add(row("6 peer", variant, result, note))

    async with (
        drf_peer(ctx.env, ctx.options.log_dir) as peer,
        baseline_server(ctx.env.baseline_env(), ctx.options.log_dir, ctx.env.server) as baseline,
    ):
        app_list = f"/api/records/?patient_id={patient.id}&limit=20"
        for i in range(1, ctx.options.rounds + 1):
            peer_doctor, peer_patient = await peer.token(DOCTOR), await peer.token(PATIENT)
            peer_read = f"/api/records/{peer.record_id}/"
            keep(
                "peer_read",
                f"peer read, round {i}",
                await ctx.load(peer_read, token=peer_doctor, target=peer, database=peer.database),
            )
            keep(
                "base_read",
                f"baseline read, round {i}",
                await ctx.load(f"/api/records/{record_id}/", target=baseline),
                "raw asyncpg, no auth",
            )
            keep(
                "app_read",
                f"app read, round {i}",
                await ctx.load(f"/api/records/{record_id}/", token=doctor.token),
            )
            keep(
                "peer_list",
                f"peer list page, round {i}",
                await ctx.load(
                    "/api/records/", token=peer_doctor, target=peer, database=peer.database
                ),
            )
            keep(
                "app_list",
                f"app list page, round {i}",
                await ctx.load(app_list, token=doctor.token),
            )
            keep(
                "peer_create",
                f"peer create, round {i}",
                await ctx.load(
                    "/api/records/",
                    method="POST",
                    body=body,
                    token=peer_patient,
                    target=peer,
                    database=peer.database,
                ),
            )
            keep(
                "app_create",
                f"app create, round {i}",
                await ctx.load("/api/records/", method="POST", body=body, token=patient.token),
            )
    for k in ("read", "list", "create"):
        goal = 3 if k == "create" else 5
        ratio = per_cpu(runs[f"app_{k}"], runs[f"peer_{k}"])
        rps = median(a.rps for a in runs[f"app_{k}"]) / median(p.rps for p in runs[f"peer_{k}"])
        ctx.report.target(
            "6 peer",
            f"{k}: app vs peer, requests per CPU-second (server + pg)",
            f">= {goal}x",
            f"{ratio:.2f}x ({rps:.2f}x req/s)",
            ratio >= goal,
        )
    base = median(b.rps for b in runs["base_read"])
    ratio = median(a.rps for a in runs["app_read"]) / base
    cpu = per_cpu(runs["app_read"], runs["base_read"])
    ctx.report.target(
        "6 peer",
        "read: app vs baseline",
        ">= 0.50x",
        f"{ratio:.2f}x req/s, {cpu:.2f}x per CPU",
        ratio >= 0.5,
    )
    app_p99 = median(a.p99_ms for a in runs["app_list"])
    peer_p99 = median(p.p99_ms for p in runs["peer_list"])
    ctx.report.target(
        "6 peer",
        "list p99 at 32 conns vs peer",
        "<= peer",
        f"{app_p99:.0f} vs {peer_p99:.0f} ms",
        app_p99 <= peer_p99,
    )


FILES = 1000
PER_FILE = 20


async def scenario_files(ctx: Context) -> None:
    """7: a doctor assigned to 1,000 files of 20 records: all-files page vs one file's page."""
    doctor = await api.register(ctx.client, "doctor")
    async with seed.project_container(ctx.env) as container:
        patients = await seed.add_users(container, Role.PATIENT, FILES)
        async with container.uow() as uow:
            for p in patients:
                await uow.assignments.add(
                    Assignment(
                        id=uuid4(),
                        doctor_id=UUID(doctor.id),
                        patient_id=UUID(p.id),
                        assigned_by=UUID(p.id),
                        created_at=seed.now(),
                    )
                )
            await uow.commit()
        await seed.add_files(container, [UUID(p.id) for p in patients], PER_FILE)
    await seed.vacuum(ctx.env)
    one = f"/api/records/?patient_id={patients[0].id}&limit=20"
    every = "/api/records/?limit=20"
    singles: list[LoadResult] = []
    alls: list[LoadResult] = []
    for i in range(1, ctx.options.rounds + 1):
        singles.append(await ctx.load(one, token=doctor.token))
        ctx.report.add(row("7 files", f"one file's page, round {i}", singles[-1]))
        alls.append(await ctx.load(every, token=doctor.token))
        ctx.report.add(row("7 files", f"all {FILES} files' page, round {i}", alls[-1]))
    what = f"all-files page p50 vs one file ({FILES} x {PER_FILE} records)"
    if not all(r.rps and r.p50_ms for r in alls + singles):
        # wrk reports no latency when every request timed out.
        ctx.report.target("7 files", what, "<= 3x", "requests timed out", False)
    else:
        ratio = median(a.p50_ms for a in alls) / median(s.p50_ms for s in singles)
        cpu = per_cpu(singles, alls)
        ctx.report.target(
            "7 files", what, "<= 3x", f"{ratio:.2f}x p50, {cpu:.2f}x CPU per request", ratio <= 3
        )
    ctx.report.add(
        Row(
            scenario="7 files",
            variant="statement",
            note=await seed.all_files_plan(ctx.env, doctor.id),
        )
    )
