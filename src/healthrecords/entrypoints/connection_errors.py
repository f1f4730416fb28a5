"""A failed connection at the command line: one line naming the server and what to do.

Without this, a stopped PostgreSQL or a missing database printed a 130-180
line traceback through asyncpg, SQLAlchemy and Alembic. The line names the
host and port only: URLs can carry passwords.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.engine import make_url

from healthrecords.config import Settings

MISSING_DATABASE = "3D000"
BAD_CREDENTIALS = frozenset({"28P01", "28000"})


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 16:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        todo += [current.__context__, current.__cause__]
        if isinstance(orig, BaseException):
            todo.append(orig)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno).lower()
    if isinstance(exc, TimeoutError):
        return "timed out"
    return type(exc).__name__


def explain(exc: BaseException, settings: Settings) -> str | None:
    """The one line for a connection failure, or None when `exc` is something else."""
    chain = list(_chain(exc))
    if any(isinstance(e, RedisConnectionError | RedisTimeoutError) for e in chain):
        url = make_url(settings.redis_url or "redis://localhost")
        where = f"{url.host or 'localhost'}:{url.port or 6379}"
        cause = next((e for e in chain if isinstance(e, OSError)), None)
        reason = _reason(cause) if cause else "connection failed"
        return f"cannot reach Redis at {where} ({reason}): start it, or fix HEALTHRECORDS_REDIS_URL"
    if settings.embedded:
        return None
    url = make_url(settings.database_url)
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    states = {str(getattr(e, "sqlstate", "") or "") for e in chain}
    if MISSING_DATABASE in states:
        return (
            f"database {url.database!r} does not exist on PostgreSQL at {where}: run "
            "`healthrecords migrate --create-database`, or create it yourself"
        )
    if states & BAD_CREDENTIALS:
        return (
            f"PostgreSQL at {where} refused user {url.username!r}: fix the user or "
            "password in HEALTHRECORDS_DATABASE_URL"
        )
    if "57P03" in states:
        return f"PostgreSQL at {where} is starting up or recovering: try again shortly"
    refused = next((e for e in chain if isinstance(e, OSError | TimeoutError)), None)
    if refused is not None:
        return (
            f"cannot reach PostgreSQL at {where} ({_reason(refused)}): start it, "
            "or fix HEALTHRECORDS_DATABASE_URL"
        )
    return None
