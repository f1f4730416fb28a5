"""Migrations go up and down cleanly on PostgreSQL and SQLite."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from healthrecords.adapters.sqlalchemy import migrate
from healthrecords.adapters.sqlalchemy.engine import create_engine
from healthrecords.adapters.sqlalchemy.models import Base
from tests import servers

TABLES = set(Base.metadata.tables)


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    return names - {"alembic_version"}


async def _up_down_up(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        assert await _tables(url) == TABLES
        await migrate.downgrade(engine)
        assert await _tables(url) == set()
        await migrate.upgrade(engine)
        assert await _tables(url) == TABLES
    finally:
        await engine.dispose()


async def _0003_down_and_up(url: str) -> None:
    """0003 alone: down to 0002 drops only the idempotency keys, up brings them back."""
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        await migrate.downgrade(engine, "0002")
        assert await _tables(url) == TABLES - {"idempotency_key"}
        await migrate.upgrade(engine, "0003")
        assert await _tables(url) == TABLES
    finally:
        await engine.dispose()


async def test_migrations_up_and_down_on_postgresql(postgres_server: str) -> None:
    url = await servers.create_database(postgres_server)
    try:
        await _up_down_up(url)
    finally:
        await servers.drop_database(postgres_server, url)


async def test_migrations_up_and_down_on_sqlite(tmp_path: Path) -> None:
    await _up_down_up(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}")


async def test_idempotency_keys_migration_up_and_down_on_postgresql(postgres_server: str) -> None:
    url = await servers.create_database(postgres_server)
    try:
        await _0003_down_and_up(url)
    finally:
        await servers.drop_database(postgres_server, url)


async def test_idempotency_keys_migration_up_and_down_on_sqlite(tmp_path: Path) -> None:
    await _0003_down_and_up(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}")
