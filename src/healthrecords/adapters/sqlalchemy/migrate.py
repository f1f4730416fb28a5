"""Run Alembic migrations over an async engine (PostgreSQL or SQLite)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), revision))


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), revision))


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade_reporting(engine: AsyncEngine) -> list[str]:
    """Upgrade to head; the revisions applied, oldest first, as 'id: title'."""
    async with engine.begin() as conn:
        before = await conn.run_sync(_current)
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
    script = ScriptDirectory.from_config(alembic_config())
    applied = list(script.iterate_revisions("head", before or "base"))
    return [f"{rev.revision}: {(rev.doc or '').strip()}" for rev in reversed(applied)]


async def create_database(url: str) -> bool:
    """Create the URL's PostgreSQL database if it does not exist; True if it was made.

    Connects to the server's `postgres` database as the URL's user, who needs
    the CREATEDB privilege. SQLite files are created on first connect anyway.
    """
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return False
    server = create_async_engine(
        parsed.set(database="postgres"),
        isolation_level="AUTOCOMMIT",  # CREATE DATABASE cannot run in a transaction
        connect_args={"timeout": 5},
    )
    try:
        async with server.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            )
            if exists:
                return False
            name = parsed.database.replace('"', '""')
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
            return True
    finally:
        await server.dispose()
