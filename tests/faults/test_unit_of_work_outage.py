"""The SQL unit of work turns every way of losing PostgreSQL into `Unavailable`."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.engine import create_engine, create_session_factory
from healthrecords.adapters.sqlalchemy.unit_of_work import SqlUnitOfWork, database_unreachable
from healthrecords.config import Settings
from healthrecords.domain.errors import Unavailable
from healthrecords.domain.users import Role, User
from tests.faults.proxy import TcpProxy


@pytest.fixture
async def engine(pg_proxy: TcpProxy, database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(pg_proxy.url_for(database_url), pool_size=2)
    yield engine
    await engine.dispose()


def unit_of_work(engine: AsyncEngine, settings: Settings) -> SqlUnitOfWork:
    assert settings.encryption_keys is not None
    return SqlUnitOfWork(create_session_factory(engine), FieldCipher(settings.encryption_keys))


def new_user() -> User:
    now = datetime.now(UTC)
    return User(
        id=uuid4(),
        email=f"outage-{secrets.token_hex(6)}@example.test",
        full_name="Outage Probe",
        role=Role.PATIENT,
        is_active=True,
        password_hash="not-a-real-hash",
        created_at=now,
        updated_at=now,
    )


async def test_a_refused_connection_is_unavailable(
    engine: AsyncEngine, pg_proxy: TcpProxy, production_settings: Settings
) -> None:
    pg_proxy.cut()
    with pytest.raises(Unavailable):
        async with unit_of_work(engine, production_settings) as uow:
            await uow.users.get(uuid4())


async def test_a_connection_lost_mid_transaction_is_unavailable(
    engine: AsyncEngine, pg_proxy: TcpProxy, production_settings: Settings
) -> None:
    async def read_twice_cutting_between() -> None:
        async with unit_of_work(engine, production_settings) as uow:
            await uow.users.get(uuid4())
            pg_proxy.cut()
            await uow.users.get(uuid4())

    with pytest.raises(Unavailable):
        await read_twice_cutting_between()


async def test_a_partitioned_server_is_unavailable_after_the_connect_timeout(
    engine: AsyncEngine, pg_proxy: TcpProxy, production_settings: Settings
) -> None:
    pg_proxy.blackhole()
    with pytest.raises(Unavailable):
        async with unit_of_work(engine, production_settings) as uow:
            await uow.users.get(uuid4())


def test_an_exhausted_pool_counts_as_unreachable() -> None:
    assert database_unreachable(PoolTimeout("QueuePool limit reached"))


async def test_a_commit_lost_on_the_wire_writes_nothing(
    engine: AsyncEngine, pg_proxy: TcpProxy, production_settings: Settings
) -> None:
    user = new_user()
    pg_proxy.cut_when_client_sends(b"COMMIT")

    async def add_and_commit() -> None:
        async with unit_of_work(engine, production_settings) as uow:
            await uow.users.add(user)
            await uow.commit()

    with pytest.raises(Unavailable):
        await add_and_commit()
    assert pg_proxy.triggered.is_set()
    pg_proxy.restore()
    async with unit_of_work(engine, production_settings) as uow:
        assert await uow.users.get(user.id) is None


async def test_the_same_engine_serves_again_once_the_server_is_back(
    engine: AsyncEngine, pg_proxy: TcpProxy, production_settings: Settings
) -> None:
    user = new_user()
    async with unit_of_work(engine, production_settings) as uow:
        await uow.users.add(user)
        await uow.commit()
    pg_proxy.cut()
    with pytest.raises(Unavailable):
        async with unit_of_work(engine, production_settings) as uow:
            await uow.users.get(user.id)
    pg_proxy.restore()
    async with unit_of_work(engine, production_settings) as uow:
        found = await uow.users.get(user.id)
    assert found is not None
    assert found.id == user.id


async def test_pooled_connections_that_died_fail_one_unit_of_work_then_are_replaced(
    engine: AsyncEngine, pg_proxy: TcpProxy, production_settings: Settings
) -> None:
    # No pre-ping on checkout: a server restart between requests is noticed by
    # the next query. That unit of work is Unavailable (503), SQLAlchemy drops
    # every pooled connection, and the ones after it connect afresh.
    async def read_in_two_sessions_at_once() -> None:
        async with (
            unit_of_work(engine, production_settings) as first,
            unit_of_work(engine, production_settings) as second,
        ):
            await first.users.get(uuid4())
            await second.users.get(uuid4())

    await read_in_two_sessions_at_once()  # both pooled connections now open
    pg_proxy.cut()
    pg_proxy.restore()
    with pytest.raises(Unavailable):
        async with unit_of_work(engine, production_settings) as uow:
            await uow.users.get(uuid4())
    for _ in range(3):
        await read_in_two_sessions_at_once()


@pytest.mark.parametrize("sqlstate", ["57P03", "57P01", "57P02", "53300"])
async def test_a_server_that_cannot_serve_now_is_unavailable(
    engine: AsyncEngine, pg_proxy: TcpProxy, production_settings: Settings, sqlstate: str
) -> None:
    # asyncpg raises these as generic errors with a SQLSTATE, not as lost
    # connections: recovery (57P03), shutdown (57P01, 57P02), max_connections.
    # No pooled connection may answer first: the refusal must come at connect.
    await engine.dispose()
    pg_proxy.refuse_with(sqlstate)
    with pytest.raises(Unavailable):
        async with unit_of_work(engine, production_settings) as uow:
            await uow.users.get(uuid4())
    # The proxy counts a refusal on its own loop once its write has drained,
    # which can be after the client has already read the error.
    end = time.monotonic() + 5
    while pg_proxy.refused < 1:
        assert time.monotonic() < end, "the proxy never counted a refusal"
        await asyncio.sleep(0.01)
    pg_proxy.restore()
    async with unit_of_work(engine, production_settings) as uow:
        assert await uow.users.get(uuid4()) is None


@pytest.mark.parametrize("sqlstate", ["08006", "53100", "25006"])
def test_other_cannot_serve_now_states_count_as_unreachable(sqlstate: str) -> None:
    class DriverError(Exception):
        def __init__(self, code: str) -> None:
            self.sqlstate = code

    assert database_unreachable(DBAPIError("SELECT 1", None, DriverError(sqlstate)))
    assert not database_unreachable(DBAPIError("SELECT 1", None, DriverError("23505")))
