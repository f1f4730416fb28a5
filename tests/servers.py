"""Find PostgreSQL and Redis for the tests: the environment, else testcontainers.

Never skips: when neither works the session fails and says what to start.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import pytest
from redis import Redis
from sqlalchemy.engine import make_url

DATABASE_ENV = "HEALTHRECORDS_TEST_DATABASE_URL"
REDIS_ENV = "HEALTHRECORDS_TEST_REDIS_URL"

HOW_TO = (
    "Tests need PostgreSQL and Redis. Either set {env} (for example "
    "{example}) to a running server, or run a Docker engine so testcontainers "
    "can start one. Starting a container failed: {error}"
)


@contextmanager
def postgres_server_url() -> Iterator[str]:
    url = os.environ.get(DATABASE_ENV)
    if url:
        yield url
        return
    try:
        from testcontainers.community.postgres import PostgresContainer

        container = PostgresContainer("postgres:16-alpine", driver="asyncpg").start()
    except Exception as exc:
        pytest.fail(
            HOW_TO.format(
                env=DATABASE_ENV,
                example="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
                error=type(exc).__name__,
            ),
            pytrace=False,
        )
    try:
        yield container.get_connection_url()
    finally:
        container.stop()


@contextmanager
def redis_server_url() -> Iterator[str]:
    url = os.environ.get(REDIS_ENV)
    if url:
        yield url
        return
    try:
        from testcontainers.community.redis import RedisContainer

        container = RedisContainer("redis:7-alpine").start()
    except Exception as exc:
        pytest.fail(
            HOW_TO.format(
                env=REDIS_ENV, example="redis://127.0.0.1:6379/0", error=type(exc).__name__
            ),
            pytrace=False,
        )
    try:
        host = container.get_container_host_ip()
        yield f"redis://{host}:{container.get_exposed_port(6379)}/0"
    finally:
        container.stop()


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_database(server_url: str) -> str:
    """A new, empty database on the server; returns its asyncpg URL."""
    name = f"hr_test_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(_plain(server_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return (
        make_url(server_url)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )


async def copy_database(server_url: str, database_url: str) -> str:
    """A copy of a database nobody is connected to (a backup); returns its URL."""
    name = f"hr_test_{secrets.token_hex(6)}"
    source = make_url(database_url).database
    conn = await asyncpg.connect(_plain(server_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    finally:
        await conn.close()
    return make_url(database_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    conn = await asyncpg.connect(_plain(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def drop_namespace(redis_url: str, namespace: str) -> int:
    """Delete every key of a test session's namespace; SAQ's cron and queue keys
    have no expiry and would otherwise stay in the shared Redis forever."""
    client = Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"*{namespace}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        return len(keys)
    finally:
        client.close()


def with_database(server_url: str, name: str) -> str:
    return (
        make_url(server_url)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )
