"""asyncpg's errors as the domain's: what SqlUnitOfWork does for SQLAlchemy's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from healthrecords.adapters.sqlalchemy.sqlstates import cannot_serve_now, sqlstate_of
from healthrecords.adapters.sqlalchemy.unit_of_work import UNSTORABLE
from healthrecords.domain.errors import InvalidInput, Unavailable

UNREACHABLE = "The database is unreachable; try again shortly."


def unreachable(exc: BaseException) -> bool:
    """A refused, reset or timed-out connection, a closed pool, an exhausted
    pool wait, or a server that says it cannot serve now (sqlstates.py)."""
    if cannot_serve_now(exc):
        return True
    return isinstance(exc, OSError | TimeoutError | asyncpg.InterfaceError)


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        if unreachable(exc):
            raise Unavailable(UNREACHABLE) from exc
        if sqlstate_of(exc).startswith("22"):
            raise InvalidInput(UNSTORABLE) from exc
        raise
