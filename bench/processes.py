"""Start the servers and worker under test, measure their memory, always stop them."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from bench.environment import ServerSettings

STOP_GRACE_SECONDS = 15


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    port: int | None
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def rss_bytes(self) -> int:
        """Resident memory of the process and every descendant (uvicorn's workers)."""
        return sum(_rss(pid) for pid in _tree(self.process.pid))

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


Starter = AbstractAsyncContextManager[Service]


def free_port() -> int:
    """A free port below Linux's ephemeral range, so no outgoing connection can take it
    between this check and the server's listen()."""
    for _ in range(100):
        port = secrets.randbelow(10_000) + 20_000
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found in 20000-29999")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += _children(current)
    return pids


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def _stop(service: Service) -> None:
    process = service.process
    if process.poll() is not None:
        return
    # Own session, own process group: this reaches uvicorn's worker children
    # and nothing the harness did not start.
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


async def _wait_healthy(service: Service, path: str, deadline_seconds: float) -> None:
    deadline = time.monotonic() + deadline_seconds
    async with httpx.AsyncClient(base_url=service.base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if service.process.poll() is not None:
                break
            try:
                if (await client.get(path)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(
        f"{service.name} did not become healthy at {path}; its log ends with:\n"
        + service.log_tail()
    )


def _spawn(
    name: str, argv: Sequence[str], env: dict[str, str], log_dir: Path, port: int | None
) -> Service:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, *argv],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Its own process group, so stopping it reaches uvicorn's workers too.
            start_new_session=True,
        )
    return Service(name, process, port, log_path)


@asynccontextmanager
async def running(
    name: str,
    argv: Sequence[str],
    env: dict[str, str],
    log_dir: Path,
    *,
    port: int | None = None,
    health_path: str | None = None,
) -> AsyncIterator[Service]:
    service = _spawn(name, argv, env, log_dir, port)
    try:
        if health_path is not None:
            await _wait_healthy(service, health_path, deadline_seconds=60)
        yield service
    finally:
        _stop(service)


def app_server(env: dict[str, str], log_dir: Path, server: ServerSettings) -> Starter:
    port = free_port()
    argv = ["-m", "healthrecords.entrypoints.cli", "serve", "--port", str(port)]
    argv += ["--workers", str(server.workers)]
    return running("app", argv, env, log_dir, port=port, health_path="/ready")


def baseline_server(env: dict[str, str], log_dir: Path, server: ServerSettings) -> Starter:
    """The baseline under the very server code and flags of `healthrecords serve`."""
    port = free_port()
    argv = ["-m", "bench.serve_baseline", str(port), str(server.workers)]
    return running("baseline", argv, env, log_dir, port=port, health_path="/health")


def notification_worker(env: dict[str, str], log_dir: Path) -> Starter:
    argv = ["-m", "healthrecords.entrypoints.cli", "worker"]
    return running("worker", argv, env, log_dir)


@asynccontextmanager
async def py_spy(service: Service, output: Path, seconds: float) -> AsyncIterator[None]:
    """Sample the server (and its workers) with py-spy, run ad hoc through uvx."""
    output.parent.mkdir(parents=True, exist_ok=True)
    spy = await asyncio.create_subprocess_exec(
        "uvx",
        "py-spy",
        "record",
        "--pid",
        str(service.process.pid),
        "--subprocesses",
        # Only the thread holding the GIL: Python CPU time, not waiting.
        "--gil",
        "--rate",
        "250",
        "--format",
        "raw",
        "--duration",
        str(max(1, round(seconds))),
        "--output",
        str(output),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        try:
            await asyncio.wait_for(spy.wait(), timeout=seconds + 30)
        except TimeoutError:
            spy.kill()
            await spy.wait()
        print(f"  profile: {output}", flush=True)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _pids_named(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _machine_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _backends_of(database: str, pids: list[int]) -> list[int]:
    """PostgreSQL backends serving `database`; their title is
    "postgres: [cluster: ]user database host(port) state"."""
    if not database:
        return []
    found = []
    for pid in pids:
        try:
            words = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").split()
        except OSError:
            continue
        if database.encode() in words[1:5]:
            found.append(pid)
    return found


class Measured(Protocol):
    """What the CPU counters need of a server under load: the app, baseline or peer."""

    @property
    def pid(self) -> int: ...

    @property
    def base_url(self) -> str: ...


@dataclass
class CpuSnapshot:
    at: float
    app: int
    postgres: dict[int, int]
    database: dict[int, int]
    redis: int
    busy: int
    total: int


def cpu_snapshot(service: Measured, database: str = "") -> CpuSnapshot:
    """CPU ticks so far; `database` picks out the backends serving that server
    (every other session's tests share this PostgreSQL)."""
    busy, total = _machine_ticks()
    postgres = {p: _cpu_ticks(p) for p in _pids_named("postgres")}
    return CpuSnapshot(
        at=time.monotonic(),
        app=sum(_cpu_ticks(p) for p in _tree(service.pid)),
        postgres=postgres,
        database={p: postgres[p] for p in _backends_of(database, list(postgres))},
        redis=sum(_cpu_ticks(p) for p in _pids_named("redis-server")),
        busy=busy,
        total=total,
    )


def cpu_usage(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """Cores used during the interval (1.0 = one core busy), by component."""
    wall = after.at - before.at
    if wall <= 0:
        return {}

    def cores(ticks: int) -> float:
        return round(ticks / CLOCK_TICKS / wall, 2)

    postgres = sum(t - before.postgres.get(p, 0) for p, t in after.postgres.items())
    # A backend that started during the run counts from zero; one that ended is lost
    # (the pools are fixed, so neither happens in a measured run).
    database = sum(t - before.database.get(p, 0) for p, t in after.database.items())
    machine = (after.busy - before.busy) / max(1, after.total - before.total)
    return {
        "app_cores": cores(after.app - before.app),
        "postgres_cores": cores(postgres),
        "database_cores": cores(database),
        "redis_cores": cores(after.redis - before.redis),
        "machine_busy_cores": round(machine * (os.cpu_count() or 1), 2),
    }
