"""Every read path of the record reads, and the statements each one sends.

The record get and list run on SQLAlchemy (embedded SQLite, and PostgreSQL
with `db_direct=False`) or on asyncpg directly (PostgreSQL, the
default). Tests that take `read_path` run the same cases on all three.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from healthrecords.adapters.asyncpg.pool import DirectPool
from healthrecords.bootstrap import Container
from healthrecords.config import Settings

POSTGRES_READ_PATHS = ["sqlalchemy-postgres", "asyncpg-postgres"]
READ_PATHS = ["sqlalchemy-embedded", *POSTGRES_READ_PATHS]


def read_path_settings(request: pytest.FixtureRequest, path: str) -> Settings:
    if path == "sqlalchemy-embedded":
        embedded: Settings = request.getfixturevalue("embedded_settings")
        return embedded
    production: Settings = request.getfixturevalue("production_settings")
    return dataclasses.replace(production, db_direct=path == "asyncpg-postgres")


@contextmanager
def statements(container: Container) -> Iterator[list[tuple[str, Any]]]:
    """(SQL, parameters) of each statement sent, in order, whichever path sends it."""
    seen: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        # Embedded mode's in-process notification sweep shares the engine.
        if "notification" not in statement:
            seen.append((statement, params))

    engine = container.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    pool = container.direct_pool
    with _watching(pool, seen) if pool else _nothing():
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", capture)


@contextmanager
def _watching(pool: DirectPool, seen: list[tuple[str, Any]]) -> Iterator[None]:
    real = pool.fetch, pool.fetchrow, pool.execute

    async def fetch(statement: Any, params: dict[str, Any]) -> Any:
        seen.append((statement.sql, tuple(statement.args(params))))
        return await real[0](statement, params)

    async def fetchrow(statement: Any, params: dict[str, Any]) -> Any:
        seen.append((statement.sql, tuple(statement.args(params))))
        return await real[1](statement, params)

    async def execute(sql: str, *args: Any) -> Any:
        seen.append((sql, args))
        return await real[2](sql, *args)

    pool.fetch, pool.fetchrow, pool.execute = fetch, fetchrow, execute  # type: ignore[method-assign]
    try:
        yield
    finally:
        del pool.fetch, pool.fetchrow, pool.execute


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def verbs(seen: list[tuple[str, Any]]) -> list[str]:
    return [sql.split(None, 1)[0].upper() for sql, _ in seen]
