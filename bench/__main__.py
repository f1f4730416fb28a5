"""`uv run python -m bench [scenario ...]`: run the benchmarks, print a table, write JSON.

Everything runs on this machine over loopback: a fresh PostgreSQL database,
the real server in production mode (and the worker for scenario 5), wrk as the
load generator. Whatever happens, the servers are stopped and the database is
dropped before the command returns.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.api import FeatureMissing
from bench.environment import ServerSettings, bench_environment
from bench.fhir import scenario_fhir
from bench.loadgen import LoadGeneratorMissing, wrk_path
from bench.notify import scenario_notify
from bench.peer import PeerMissing
from bench.peer_scenarios import scenario_files, scenario_peer
from bench.processes import app_server, baseline_server
from bench.results import RESULTS_DIR, Report, write_json
from bench.results import table as render_table
from bench.scenarios import (
    Context,
    Options,
    row,
    scenario_create,
    scenario_list,
    scenario_login,
    scenario_read,
)
from bench.sockets import raise_file_limit, scenario_fanout, scenario_sockets

# The recommended production settings for this 2-core machine (see README, Performance).
DEFAULT_WORKERS = 1
DEFAULT_POOL_SIZE = 20


async def scenario_health(ctx: Context) -> None:
    """Smoke test of the harness: GET /health on the app and on the baseline."""
    ctx.report.add(row("0 health", "app", await ctx.load("/health")))
    async with baseline_server(
        ctx.env.baseline_env(), ctx.options.log_dir, ctx.env.server
    ) as baseline:
        ctx.report.add(row("0 health", "baseline", await ctx.load("/health", target=baseline)))


SCENARIOS: dict[str, Callable[[Context], Awaitable[None]]] = {
    "read": scenario_read,
    "list": scenario_list,
    "create": scenario_create,
    "login": scenario_login,
    "notify": scenario_notify,
    "peer": scenario_peer,
    "files": scenario_files,
    "health": scenario_health,
    "sockets": scenario_sockets,
    "fanout": scenario_fanout,
    "fhir": scenario_fhir,
}
ALIASES = {
    "1": "read",
    "2": "list",
    "3": "create",
    "4": "login",
    "5": "notify",
    "6": "sockets",
    "7": "peer",
    "8": "files",
    "9": "fanout",
    "0": "health",
    "10": "fhir",
}
DEFAULT = ["read", "list", "create", "login", "notify", "peer", "files"]


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "scenarios",
        nargs="*",
        help="read|list|create|login|notify|sockets|peer|files|fanout|fhir|health, or 0-10",
    )
    p.add_argument("--seconds", type=float, default=10, help="per measured load run")
    p.add_argument("--warmup", type=float, default=2, help="unmeasured load before each run")
    p.add_argument("--connections", type=int, default=32, help="wrk keep-alive connections")
    p.add_argument("--rounds", type=int, default=2, help="alternations in 1, 2 and 4")
    p.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="server processes")
    p.add_argument("--pool-size", type=int, default=DEFAULT_POOL_SIZE, help="DB pool per process")
    p.add_argument("--records", type=int, default=100_000, help="records in scenario 2's file")
    p.add_argument("--notifications", type=int, default=1000, help="per scenario 5 variant")
    p.add_argument("--idle-sockets", type=int, default=1000)
    p.add_argument(
        "--profile", action="store_true", help="py-spy the app during each measured wrk run"
    )
    p.add_argument("--max-minutes", type=float, default=20, help="hard stop for the whole run")
    args = p.parse_args(argv)
    names = [ALIASES.get(s, s) for s in args.scenarios] or DEFAULT
    unknown = [s for s in names if s not in SCENARIOS]
    if unknown:
        p.error(f"unknown scenario(s): {', '.join(unknown)}")
    args.scenarios = names
    return args


def prepare(args: argparse.Namespace) -> tuple[Options, Report]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    options = Options(
        seconds=args.seconds,
        warmup=args.warmup,
        connections=args.connections,
        rounds=args.rounds,
        records=args.records,
        notifications=args.notifications,
        idle_sockets=args.idle_sockets,
        log_dir=RESULTS_DIR / f"logs-{stamp}",
        profile=args.profile,
    )
    config: dict[str, Any] = {
        "scenarios": args.scenarios,
        "server": "uvicorn via `healthrecords serve` (baseline: the same server code)",
        "workers": args.workers,
        "db_pool_size_per_worker": args.pool_size,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "connections": args.connections,
        "rounds": args.rounds,
        "records": args.records,
        "notifications": args.notifications,
        "idle_sockets": args.idle_sockets,
        "load_generator": "wrk 1 thread (Debian) / asyncio client for scenario 5",
        "logs": str(options.log_dir),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        # Raised to the hard limit before any server starts (they inherit it).
        "file_limit": raise_file_limit(),
    }
    return options, Report(config=config)


async def run(args: argparse.Namespace, options: Options, report: Report) -> None:
    server = ServerSettings(workers=args.workers, pool_size=args.pool_size)
    async with (
        asyncio.timeout(args.max_minutes * 60),
        bench_environment(server) as env,
        app_server(env.app_env(), options.log_dir, server) as app,
        httpx.AsyncClient(base_url=app.base_url, timeout=30) as client,
    ):
        ctx = Context(env=env, app=app, options=options, report=report, client=client)
        for name in args.scenarios:
            print(f"== {name}", flush=True)
            try:
                await SCENARIOS[name](ctx)
            except (FeatureMissing, PeerMissing) as exc:
                report.skip(name, f"not built yet ({exc})")
            except (RuntimeError, httpx.HTTPError, OSError, TimeoutError) as exc:
                report.skip(name, f"failed: {type(exc).__name__}: {exc}")
            if app.process.poll() is not None:
                raise RuntimeError("the app server died:\n" + app.log_tail())


async def main_async(args: argparse.Namespace, options: Options, report: Report) -> None:
    task = asyncio.current_task()
    assert task is not None
    # SIGTERM and SIGINT (also when a shell started us in the background with
    # SIGINT ignored) unwind the same way: servers stopped, database dropped.
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, task.cancel)
    await run(args, options, report)


def main(argv: list[str]) -> int:
    args = parse(argv)
    try:
        wrk_path()
    except LoadGeneratorMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    options, report = prepare(args)
    status = 0
    try:
        asyncio.run(main_async(args, options, report))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted; servers stopped and database dropped", file=sys.stderr)
        status = 130
    except Exception as exc:
        print(f"run aborted: {type(exc).__name__}: {exc}", file=sys.stderr)
        status = 1
    print()
    print(render_table(report))
    print(f"\nresults: {write_json(report)}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
