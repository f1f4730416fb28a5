"""A throw-away PostgreSQL database, Redis namespace and keys for one bench run."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from redis.asyncio import Redis

from healthrecords.entrypoints.connection_limits import open_file_budget

POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What the harness recommends and runs for production; both servers get the same."""

    workers: int
    pool_size: int


@dataclass(frozen=True, slots=True)
class BenchEnvironment:
    database: str
    namespace: str
    server: ServerSettings
    jwt_keys: str
    encryption_keys: str

    @property
    def asyncpg_dsn(self) -> str:
        return POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{self.database}"

    @property
    def database_url(self) -> str:
        return self.asyncpg_dsn.replace("postgresql://", "postgresql+asyncpg://", 1)

    def app_env(self) -> dict[str, str]:
        """The environment of `healthrecords serve|worker|migrate` in production mode."""
        return {
            **os.environ,
            "HEALTHRECORDS_DATABASE_URL": self.database_url,
            "HEALTHRECORDS_REDIS_URL": REDIS_URL,
            "HEALTHRECORDS_REDIS_NAMESPACE": self.namespace,
            "HEALTHRECORDS_JWT_KEYS": self.jwt_keys,
            "HEALTHRECORDS_ENCRYPTION_KEYS": self.encryption_keys,
            "HEALTHRECORDS_WORKERS": str(self.server.workers),
            "HEALTHRECORDS_DB_POOL_SIZE": str(self.server.pool_size),
            "HEALTHRECORDS_LOG_LEVEL": "INFO",
            # Tokens minted at seeding time must outlive the run.
            "HEALTHRECORDS_ACCESS_TOKEN_TTL": "3600",
            # The limiter still runs on every request; only its ceiling is lifted,
            # since every bench request comes from one client address.
            "HEALTHRECORDS_RATE_LIMIT_PER_MINUTE": "1000000",
            "HEALTHRECORDS_AUTH_RATE_LIMIT_PER_MINUTE": "1000000",
            # Likewise the per-address socket caps: every bench socket is 127.0.0.1.
            "HEALTHRECORDS_SOCKET_CAP_PER_ADDRESS": "100000",
            "HEALTHRECORDS_SOCKET_UNAUTHENTICATED_CAP_PER_ADDRESS": "100000",
            # And the connection caps: no per-address one, and the whole total
            # the file limit leaves (scenario 5 holds 10,000 idle sockets).
            "HEALTHRECORDS_MAX_CONNECTIONS_PER_ADDRESS": "0",
            "HEALTHRECORDS_MAX_CONNECTIONS": str(open_file_budget(self.server.pool_size)),
            "PYTHONUNBUFFERED": "1",
        }

    def baseline_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "BENCH_BASELINE_DSN": self.asyncpg_dsn,
            "BENCH_BASELINE_POOL": str(self.server.pool_size),
        }


def _key(kid: str) -> str:
    return f"{kid}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip('=')}"


async def _drop(database: str) -> None:
    conn = await asyncpg.connect(POSTGRES_SERVER)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()


async def _forget_namespace(namespace: str) -> None:
    redis = Redis.from_url(REDIS_URL)
    try:
        batch: list[bytes] = []
        async for key in redis.scan_iter(match=f"{namespace}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                await redis.delete(*batch)
                batch.clear()
        if batch:
            await redis.delete(*batch)
    finally:
        await redis.aclose()


@asynccontextmanager
async def bench_environment(server: ServerSettings) -> AsyncIterator[BenchEnvironment]:
    """Create, migrate (with the project's own CLI), yield, and always drop."""
    token = secrets.token_hex(5)
    env = BenchEnvironment(
        database=f"hr_bench_{token}",
        namespace=f"hrbench-{token}",
        server=server,
        jwt_keys=_key("jwt1"),
        encryption_keys=_key("enc1"),
    )
    conn = await asyncpg.connect(POSTGRES_SERVER)
    try:
        await conn.execute(f'CREATE DATABASE "{env.database}"')
    finally:
        await conn.close()
    try:
        migrate = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "healthrecords.entrypoints.cli",
            "migrate",
            env=env.app_env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(migrate.communicate(), timeout=120)
        if migrate.returncode != 0:
            raise RuntimeError(f"healthrecords migrate failed: {out.decode()[-1000:]}")
        yield env
    finally:
        await _drop(env.database)
        await _forget_namespace(env.namespace)
