"""Scenario 10: the patient's export, `$everything` of a file of 1,000 records.

An assigned doctor walks the whole export page by page (100 records a page,
the default), timed per page with the server's CPU per page; then wrk loads
the first page and a middle page at low concurrency (pages are large).
"""

from __future__ import annotations

import time
from statistics import median
from urllib.parse import urlencode
from uuid import UUID

from bench import api, seed
from bench.processes import cpu_snapshot, cpu_usage
from bench.results import Row
from bench.scenarios import Context, row

FILE_RECORDS = 1000
PAGE = 100
WALKS = 3
CONNECTIONS = 4
ANNOTATED_EVERY = 10


async def scenario_fhir(ctx: Context) -> None:
    patient = await api.register(ctx.client, "patient")
    doctor = await api.register(ctx.client, "doctor")
    await api.assign(ctx.client, patient, doctor.id)
    async with seed.project_container(ctx.env) as container:
        await seed.add_records(container, UUID(patient.id), FILE_RECORDS)
    first = await api.list_page(ctx.client, patient, 100, None)
    # A doctor's annotation on every tenth record of the newest page: the
    # export then carries notes and a Practitioner, as a real file does.
    for item in first["items"][::ANNOTATED_EVERY]:
        note = {"record_id": item["id"], "body": "Reviewed; no action needed."}
        response = await ctx.client.post(
            "/api/doctors/annotations/", json=note, headers=doctor.headers
        )
        api.check(response, 201, "annotate")
    await seed.vacuum(ctx.env)
    path = f"/fhir/Patient/{patient.id}/$everything"

    per_page: list[float] = []
    cursors: list[str] = []
    before = cpu_snapshot(ctx.app, ctx.env.database)
    pages = 0
    for _ in range(WALKS):
        url: str | None = ctx.app.base_url + path + "?" + urlencode({"_count": PAGE})
        cursors = []
        while url:
            started = time.monotonic()
            response = await ctx.client.get(url, headers=doctor.headers)
            per_page.append(time.monotonic() - started)
            bundle = api.check(response, 200, "$everything page")
            pages += 1
            url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
            if url:
                cursors.append(url.rsplit("_cursor=", 1)[1])
        if len(cursors) != FILE_RECORDS // PAGE - 1:
            raise RuntimeError(f"the export had {len(cursors) + 1} pages")
    after = cpu_snapshot(ctx.app, ctx.env.database)
    usage = cpu_usage(before, after)
    wall = after.at - before.at  # cores x this interval = CPU seconds spent
    server_ms = 1000 * usage.get("app_cores", 0.0) * wall / pages
    db_ms = 1000 * usage.get("database_cores", 0.0) * wall / pages
    ctx.report.add(
        Row(
            scenario="10 fhir",
            variant=f"$everything walk, {FILE_RECORDS:,} records, {PAGE} a page",
            p50_ms=round(1000 * median(per_page), 1),
            p99_ms=round(1000 * max(per_page), 1),
            requests=pages,
            note=(
                f"{WALKS} walks of {pages // WALKS} pages, one at a time; max instead of p99;"
                f" server {server_ms:.1f} + pg {db_ms:.1f} CPU-ms/page"
            ),
            detail={"cpu": usage, "seconds_per_page": per_page},
        )
    )
    middle = cursors[len(cursors) // 2]
    for label, query in (
        ("page 1", {"_count": PAGE}),
        (f"page {len(cursors) // 2 + 2}", {"_count": PAGE, "_cursor": middle}),
    ):
        result = await ctx.load(
            f"{path}?{urlencode(query)}", token=doctor.token, connections=CONNECTIONS
        )
        ctx.report.add(row("10 fhir", f"$everything {label} under load", result))
