"""Engine and session factory for PostgreSQL (asyncpg) or embedded SQLite."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def create_engine(url: str, pool_size: int = 20) -> AsyncEngine:
    if url.startswith("sqlite"):
        # aiosqlite logs every statement with its parameters at DEBUG: password
        # and token hashes, ciphertext. SQLAlchemy quiets its own loggers alike.
        logging.getLogger("aiosqlite").setLevel(logging.WARNING)
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # A fixed pool: growing and shrinking it under load halved throughput here.
    # The timeouts bound how long a request can hang on an unreachable server
    # (refused: at once; partitioned: connect 5 s, a query 10 s) before it
    # answers 503; no query of this API comes near them.
    # No pre-ping (a round trip per checkout): a pooled connection found dead
    # fails its request with 503, SQLAlchemy then invalidates the whole pool,
    # and the next requests connect afresh (tests/faults). pool_recycle drops
    # connections before common server or proxy idle limits do.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        pool_recycle=1800,
        pool_timeout=5,
        connect_args={"timeout": 5, "command_timeout": 10},
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
