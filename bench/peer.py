"""The DRF peer (`../shared/peers/drf`, the seed's stack) as a server under test.

It gets a database of its own on the same PostgreSQL, is started by its own
`run.sh` (venv, migrate, seed of 1,000 records, gunicorn with 2*cores+1 sync
workers) and stopped, with its database dropped, whatever happens.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import asyncpg
import httpx

from bench.environment import POSTGRES_SERVER, BenchEnvironment
from bench.processes import free_port

_HERE = Path(__file__).resolve().parents[1]
PEER_DIR = Path(
    os.environ.get(
        "BENCH_DRF_PEER",
        next(
            (
                str(p)
                for p in (_HERE.parent / "shared/peers/drf", Path("/work/shared/peers/drf"))
                if (p / "run.sh").exists()
            ),
            str(_HERE.parent / "shared/peers/drf"),
        ),
    )
)
PEER_VENV = os.environ.get("BENCH_DRF_VENV", "/tmp/drf-venv")
ROLE, ROLE_PASSWORD = "drfpeer", "drfpeer"
DOCTOR = {"email": "doctor@peer.example", "password": "Doctor-Peer-Pass-2024"}
PATIENT = {"email": "patient@peer.example", "password": "Patient-Peer-Pass-2024"}
START_SECONDS = 600  # a first run creates the venv and pip-installs Django


class PeerMissing(RuntimeError):
    """No DRF peer checkout next to the project."""


@dataclass(frozen=True, slots=True)
class Peer:
    pid: int
    port: int
    database: str
    record_id: str

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def token(self, who: dict[str, str]) -> str:
        """A fresh simplejwt access token (they live 5 minutes)."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:
            response = await client.post("/api/auth/login/", json=who)
            response.raise_for_status()
            return str(response.json()["access"])


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_SERVER)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _stop(pid: int) -> None:
    # run.sh started gunicorn with nohup and exited: the master is ours by pid only.
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    for _ in range(75):  # 15 s for gunicorn to stop its workers
        if not _alive(pid):
            return
        await asyncio.sleep(0.2)
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _open_log(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("ab")


@asynccontextmanager
async def drf_peer(env: BenchEnvironment, log_dir: Path) -> AsyncIterator[Peer]:
    if not (PEER_DIR / "run.sh").exists():
        raise PeerMissing(f"no DRF peer at {PEER_DIR} (set BENCH_DRF_PEER)")
    database = f"{env.database}_drf"
    await _admin(
        f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='{ROLE}') THEN "
        f"CREATE ROLE {ROLE} LOGIN PASSWORD '{ROLE_PASSWORD}'; END IF; END$$"
    )
    await _admin(f'CREATE DATABASE "{database}" OWNER {ROLE}')
    pid = 0
    try:
        setup_log = _open_log(log_dir / "drf-peer-setup.log")
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            str(PEER_DIR / "run.sh"),
            str(port),
            env={
                **os.environ,
                "PGHOST": "127.0.0.1",
                "PGUSER": ROLE,
                "PGPASSWORD": ROLE_PASSWORD,
                "PGDATABASE": database,
                "VENV": PEER_VENV,
                "LOG_FILE": str(log_dir / "drf-peer.log"),
            },
            stdout=asyncio.subprocess.PIPE,
            stderr=setup_log,
            stdin=asyncio.subprocess.DEVNULL,
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(), timeout=START_SECONDS)
        finally:
            setup_log.close()
        lines = out.decode().strip().splitlines()
        if process.returncode != 0 or len(lines) < 2:
            raise RuntimeError(f"DRF peer did not start; see {log_dir / 'drf-peer-setup.log'}")
        pid = int(lines[-1])
        seeded = json.loads(lines[0])
        record_id = str(seeded.get("record_id") or seeded.get("record"))
        yield Peer(pid=pid, port=port, database=database, record_id=record_id)
    finally:
        if pid:
            await _stop(pid)
        await _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
