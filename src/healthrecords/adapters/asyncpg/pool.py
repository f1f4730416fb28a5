"""A pool of asyncpg connections, opened on first use.

Connections are handed back without asyncpg's default reset (a round trip:
advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL): this path sets no session
state, listens to nothing and takes no locks, and an open transaction is
still rolled back by asyncpg itself. Each statement commits on its own.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from healthrecords.adapters.asyncpg.errors import translated
from healthrecords.adapters.asyncpg.statements import Compiled

# The same bounds as the SQLAlchemy engine (adapters/sqlalchemy/engine.py):
# refused at once, partitioned within the connect (5 s) or query (10 s) timeout.
CONNECT_TIMEOUT = 5.0
COMMAND_TIMEOUT = 10.0
POOL_TIMEOUT = 5.0  # waiting for a free connection


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """Nothing to reset (see the module docstring)."""


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class DirectPool:
    def __init__(self, url: str, size: int) -> None:
        self._dsn = asyncpg_dsn(url)
        self._size = size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _opened(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    pool = asyncpg.create_pool(
                        self._dsn,
                        min_size=0,
                        max_size=self._size,
                        max_inactive_connection_lifetime=300,
                        reset=_keep_session,
                        timeout=CONNECT_TIMEOUT,
                        command_timeout=COMMAND_TIMEOUT,
                    )
                    await pool
                    self._pool = pool
        return self._pool

    async def _acquire(self) -> tuple[asyncpg.Pool, asyncpg.pool.PoolConnectionProxy]:
        pool = await self._opened()
        # asyncio.timeout, not acquire(timeout=): asyncpg applies that one with
        # wait_for, a task per acquisition (~9% of a record read in py-spy).
        async with asyncio.timeout(POOL_TIMEOUT):
            return pool, await pool.acquire()

    async def fetch(self, statement: Compiled, params: dict[str, Any]) -> list[Any]:
        with translated():
            pool, conn = await self._acquire()
            try:
                return list(await conn.fetch(statement.sql, *statement.args(params)))
            finally:
                await pool.release(conn)

    async def fetchrow(self, statement: Compiled, params: dict[str, Any]) -> Any:
        with translated():
            pool, conn = await self._acquire()
            try:
                return await conn.fetchrow(statement.sql, *statement.args(params))
            finally:
                await pool.release(conn)

    async def execute(self, sql: str, *args: Any) -> None:
        with translated():
            pool, conn = await self._acquire()
            try:
                await conn.execute(sql, *args)
            finally:
                await pool.release(conn)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
