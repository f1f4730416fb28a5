"""Real `healthrecords serve` / `healthrecords worker` processes for tests.

Each runs on a free port with its settings passed as HEALTHRECORDS_* variables
and its output captured to a file (for log assertions and for failure
messages). Start-up is awaited on a condition (the port answers, or a log
line appears) with a deadline, never by sleeping.
"""

from __future__ import annotations

import asyncio
import base64
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from healthrecords.config import KeyRing, Settings

# Start-up measured at 25-30 s with the 2 cores at load ~13 (seven engineers testing).
START_DEADLINE = 60.0
STOP_DEADLINE = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ring(ring: KeyRing | None) -> str:
    assert ring is not None
    return ",".join(
        f"{kid}:{base64.urlsafe_b64encode(key).decode()}" for kid, key in ring.keys.items()
    )


def settings_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """The HEALTHRECORDS_* variables that make a child process load `settings`."""
    env = {
        "HEALTHRECORDS_DATA_DIR": str(settings.data_dir),
        "HEALTHRECORDS_DATABASE_URL": settings.database_url,
        "HEALTHRECORDS_REDIS_NAMESPACE": settings.redis_namespace,
        "HEALTHRECORDS_JWT_KEYS": _ring(settings.jwt_keys),
        "HEALTHRECORDS_ENCRYPTION_KEYS": _ring(settings.encryption_keys),
        "HEALTHRECORDS_DB_POOL_SIZE": str(settings.db_pool_size),
        "HEALTHRECORDS_LOG_LEVEL": settings.log_level,
    }
    if settings.redis_url:
        env["HEALTHRECORDS_REDIS_URL"] = settings.redis_url
    env.update({f"HEALTHRECORDS_{k.upper()}": v for k, v in overrides.items()})
    return env


@dataclass
class Process:
    name: str
    args: list[str]
    env: Mapping[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    nofile: int | None = None  # soft and hard open-file limit of the child

    def _limit(self) -> None:
        if self.nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

    def start(self) -> Process:
        base = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHRECORDS_")}
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "healthrecords.entrypoints.cli", *self.args],
                env={**base, **self.env, "PYTHONUNBUFFERED": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=self._limit if self.nofile is not None else None,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, signum: int) -> None:
        if self.running:
            assert self.popen is not None
            self.popen.send_signal(signum)

    async def wait_exit(self, deadline: float = STOP_DEADLINE) -> int:
        assert self.popen is not None
        end = time.monotonic() + deadline
        while (code := self.popen.poll()) is None:
            if time.monotonic() > end:
                raise AssertionError(f"{self.name} did not exit in {deadline}s:\n{self.tail()}")
            await asyncio.sleep(0.05)
        return code

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it will not go."""
        if not self.running:
            return
        self.signal(signal.SIGTERM)
        try:
            await self.wait_exit()
        except AssertionError:
            self.signal(signal.SIGKILL)
            await self.wait_exit()

    async def kill(self) -> None:
        self.signal(signal.SIGKILL)
        await self.wait_exit()

    async def wait_for_output(self, needle: str, deadline: float = START_DEADLINE) -> None:
        end = time.monotonic() + deadline
        while needle not in self.output():
            if not self.running:
                raise AssertionError(f"{self.name} exited before {needle!r}:\n{self.tail()}")
            if time.monotonic() > end:
                raise AssertionError(f"{self.name}: no {needle!r} in {deadline}s:\n{self.tail()}")
            await asyncio.sleep(0.05)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])


@dataclass
class ApiServer(Process):
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def wait_ready(self, path: str = "/health", deadline: float = START_DEADLINE) -> None:
        """Until `path` answers 200 (use "/ready" to wait for the backends too)."""
        end = time.monotonic() + deadline
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as client:
            while True:
                if not self.running:
                    raise AssertionError(f"{self.name} exited while starting:\n{self.tail()}")
                try:
                    if (await client.get(path)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > end:
                    raise AssertionError(f"{self.name} not ready in {deadline}s:\n{self.tail()}")
                await asyncio.sleep(0.05)


async def start_api(
    env: Mapping[str, str],
    log_dir: Path,
    name: str = "api",
    ready_path: str = "/health",
    nofile: int | None = None,
) -> ApiServer:
    port = free_port()
    server = ApiServer(
        name=name,
        args=["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        log_path=log_dir / f"{name}-{port}.log",
        port=port,
        nofile=nofile,
    )
    server.start()
    try:
        await server.wait_ready(ready_path)
    except BaseException:
        await server.stop()
        raise
    return server


def start_worker(env: Mapping[str, str], log_dir: Path, name: str = "worker") -> Process:
    """Started, not awaited: readiness is the caller's condition (a log line, a delivery)."""
    existing = len(list(log_dir.glob(f"{name}-*.log")))
    return Process(
        name=name, args=["worker"], env=env, log_path=log_dir / f"{name}-{existing}.log"
    ).start()
