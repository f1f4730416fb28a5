"""Migrations go up and down cleanly on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from sqlalchemy import inspect, text

from healthrecords.adapters.sqlalchemy import migrate
from healthrecords.adapters.sqlalchemy.engine import create_engine
from healthrecords.adapters.sqlalchemy.models import Base
from tests import servers

TABLES = set(Base.metadata.tables)
SINCE_0006 = {"totp_credential", "recovery_code", "mfa_challenge", "password_reset"}
SINCE_0007 = {"patient_data_key", "emergency_access"}


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
        await migrate.upgrade(engine, "0003")
        await migrate.downgrade(engine, "0002")
        later = {"health_record_version", *SINCE_0006, *SINCE_0007}
        assert await _tables(url) == TABLES - {"idempotency_key", *later}
        await migrate.upgrade(engine, "0003")
        assert await _tables(url) == TABLES - later
        await migrate.upgrade(engine)
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


async def _existing_rows_get_history(url: str) -> None:
    """0004 over a database with data: updated_by = author_id, history = the current version."""
    engine = create_engine(url)
    ids = {"patient": uuid4(), "doctor": uuid4(), "record": uuid4()}
    db = {k: (v.bytes if url.startswith("sqlite") else v) for k, v in ids.items()}
    now = datetime.now(UTC)
    try:
        await migrate.upgrade(engine, "0002")
        async with engine.begin() as conn:
            for who, role in (("patient", "patient"), ("doctor", "doctor")):
                await conn.execute(
                    text(
                        "INSERT INTO user_account (id, email, full_name, role, is_active,"
                        " password_hash, notification_seq, created_at, updated_at)"
                        " VALUES (:id, :email, 'N', :role, true, 'x', 0, :now, :now)"
                    ),
                    {"id": db[who], "email": f"{who}@example.test", "role": role, "now": now},
                )
            await conn.execute(
                text(
                    "INSERT INTO health_record (id, patient_id, author_id, record_type, key_id,"
                    " title_ciphertext, content_ciphertext, recorded_at, created_at,"
                    " updated_at, version) VALUES (:id, :patient, :doctor, 'note', 'k',"
                    " :blob, :blob, :now, :now, :now, 3)"
                ),
                {
                    "id": db["record"],
                    "patient": db["patient"],
                    "doctor": db["doctor"],
                    "blob": b"sealed",
                    "now": now,
                },
            )
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            row = (
                await conn.execute(text("SELECT updated_by, author_id, version FROM health_record"))
            ).one()
            assert row[0] == row[1] == db["doctor"]
            assert row[2] == 3
            kept = await conn.scalar(text("SELECT count(*) FROM health_record_version"))
            assert kept == 0  # version 3 is the record row itself: the history starts there
            verified = await conn.scalar(text("SELECT verified FROM user_account LIMIT 1"))
            assert not verified
        await migrate.downgrade(engine, "0002")
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("health_record")}
            )
            assert "updated_by" not in columns
            assert await conn.scalar(text("SELECT count(*) FROM health_record")) == 1
        await migrate.downgrade(engine)
        assert await _tables(url) == set()
    finally:
        await engine.dispose()


async def test_existing_records_get_updated_by_and_a_history_on_postgresql(
    postgres_server: str,
) -> None:
    url = await servers.create_database(postgres_server)
    try:
        await _existing_rows_get_history(url)
    finally:
        await servers.drop_database(postgres_server, url)


async def test_idempotency_keys_migration_up_and_down_on_postgresql(postgres_server: str) -> None:
    url = await servers.create_database(postgres_server)
    try:
        await _0003_down_and_up(url)
    finally:
        await servers.drop_database(postgres_server, url)


async def test_existing_records_get_updated_by_and_a_history_on_sqlite(tmp_path: Path) -> None:
    await _existing_rows_get_history(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}")


async def test_idempotency_keys_migration_up_and_down_on_sqlite(tmp_path: Path) -> None:
    await _0003_down_and_up(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}")


async def _0006_keeps_sessions_and_accounts(url: str) -> None:
    """0006 over a database with a user and a session: both survive up and down,
    the session gains empty display columns and the user has two-factor off."""
    engine = create_engine(url)
    user, family = uuid4(), uuid4()
    db = (
        {"user": user.bytes, "family": family.bytes}
        if url.startswith("sqlite")
        else {
            "user": user,
            "family": family,
        }
    )
    now = datetime.now(UTC)
    try:
        await migrate.upgrade(engine, "0005")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO user_account (id, email, full_name, role, is_active,"
                    " password_hash, notification_seq, created_at, updated_at, verified)"
                    " VALUES (:id, 'a@example.test', 'N', 'admin', true, 'x', 0, :now, :now,"
                    " false)"
                ),
                {"id": db["user"], "now": now},
            )
            await conn.execute(
                text(
                    "INSERT INTO refresh_token_family (id, user_id, created_at)"
                    " VALUES (:id, :user, :now)"
                ),
                {"id": db["family"], "user": db["user"], "now": now},
            )
        await migrate.upgrade(engine)
        assert await _tables(url) == TABLES
        async with engine.connect() as conn:
            assert not await conn.scalar(text("SELECT two_factor FROM user_account"))
            row = (
                await conn.execute(
                    text(
                        "SELECT last_used_at, client_address, user_agent FROM refresh_token_family"
                    )
                )
            ).one()
            assert tuple(row) == (None, None, None)
        await migrate.downgrade(engine, "0005")
        assert await _tables(url) == TABLES - SINCE_0006 - SINCE_0007
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("refresh_token_family")}
            )
            assert columns == {"id", "user_id", "created_at", "revoked_at", "sa_orm_sentinel"}
            assert await conn.scalar(text("SELECT count(*) FROM refresh_token_family")) == 1
        await migrate.upgrade(engine)
        assert await _tables(url) == TABLES
    finally:
        await engine.dispose()


async def test_account_security_migration_keeps_sessions_on_postgresql(
    postgres_server: str,
) -> None:
    url = await servers.create_database(postgres_server)
    try:
        await _0006_keeps_sessions_and_accounts(url)
    finally:
        await servers.drop_database(postgres_server, url)


async def test_account_security_migration_keeps_sessions_on_sqlite(tmp_path: Path) -> None:
    await _0006_keeps_sessions_and_accounts(f"sqlite+aiosqlite:///{tmp_path / 'hr.db'}")
