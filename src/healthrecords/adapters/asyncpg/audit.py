"""Audit rows written straight through asyncpg, each INSERT committed on its own."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

from healthrecords.adapters.asyncpg.errors import UNREACHABLE
from healthrecords.adapters.asyncpg.pool import DirectPool
from healthrecords.adapters.sqlalchemy.repositories.audit import row_values
from healthrecords.domain.audit import AuditEvent
from healthrecords.domain.errors import Unavailable

# The columns of row_values() and their types. One array per column: the
# statement is the same for one row or a hundred, so it is prepared once per
# connection and never rebuilt.
AUDIT_COLUMNS = (
    ("id", "uuid"),
    ("occurred_at", "timestamptz"),
    ("actor_id", "uuid"),
    ("actor_role", "text"),
    ("action", "text"),
    ("target_type", "text"),
    ("target_id", "uuid"),
    ("patient_id", "uuid"),
    ("outcome", "text"),
    ("request_id", "text"),
    ("client_address", "text"),
)
AUDIT_COLUMN_LIST = ", ".join(name for name, _ in AUDIT_COLUMNS)


def unnest_audit_rows(first: int) -> str:
    """The rows of columns_of() as a set, from parameter $`first` on."""
    arrays = ", ".join(f"${first + i}::{kind}[]" for i, (_, kind) in enumerate(AUDIT_COLUMNS))
    return f"unnest({arrays})"


# Built from the constants above only, never from input.
INSERT_ROWS = f"INSERT INTO audit_event ({AUDIT_COLUMN_LIST}) SELECT * FROM {unnest_audit_rows(1)}"  # noqa: S608


def columns_of(events: Sequence[AuditEvent]) -> list[list[object]]:
    rows = [row_values(e) for e in events]
    return [[row[name] for row in rows] for name, _ in AUDIT_COLUMNS]


class DirectAuditTrail:
    def __init__(self, pool: DirectPool) -> None:
        self._pool = pool

    async def add(self, event: AuditEvent) -> None:
        await self.add_many([event])

    async def add_many(self, events: Sequence[AuditEvent]) -> None:
        if events:
            await self._pool.execute(INSERT_ROWS, *columns_of(events))


# Rows per INSERT at most; a bigger backlog is written by the next INSERTs.
MAX_BATCH_ROWS = 1000
# A caller's rows and what it waits on: their INSERT committed, or its error.
Waiting = tuple[Sequence[AuditEvent], "asyncio.Future[None]"]


class GroupCommitAuditTrail:
    """Audit rows of concurrent requests written together, one INSERT at a time.

    While one INSERT is on its way, the rows that arrive meanwhile queue up;
    the next INSERT carries all of them. Each caller returns only once the
    INSERT holding its rows has committed, and fails if it failed: no read
    answers before its audit row is stored. One INSERT (and one commit, one
    WAL flush) then serves many requests instead of one each.
    """

    def __init__(self, pool: DirectPool, max_rows: int = MAX_BATCH_ROWS) -> None:
        self._pool = pool
        self._max_rows = max_rows
        self._queued: deque[Waiting] = deque()
        self._writer: asyncio.Task[None] | None = None

    @property
    def queued_rows(self) -> int:
        """Rows waiting for the next INSERT (not the one on its way)."""
        return sum(len(events) for events, _ in self._queued)

    async def add(self, event: AuditEvent) -> None:
        await self.add_many([event])

    async def add_many(self, events: Sequence[AuditEvent]) -> None:
        if not events:
            return
        stored = asyncio.get_running_loop().create_future()
        self._queued.append((events, stored))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        await stored

    async def _write_queued(self) -> None:
        while self._queued:
            batch: list[Waiting] = []
            rows = 0
            while self._queued and (not batch or rows + len(self._queued[0][0]) <= self._max_rows):
                events, stored = self._queued.popleft()
                batch.append((events, stored))
                rows += len(events)
            await self._write(batch)

    async def _write(self, batch: list[Waiting]) -> None:
        try:
            await self._pool.execute(INSERT_ROWS, *columns_of([e for es, _ in batch for e in es]))
        except Unavailable as exc:
            _settle(batch, exc)
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch, exc)
                return
            # A row PostgreSQL refuses fails only its own request: the rest again, alone.
            for one in batch:
                await self._write([one])
        except BaseException:
            # Cancelled mid-write (shutting down): nobody may wait for ever.
            _settle(batch, Unavailable(UNREACHABLE))
            raise
        else:
            _settle(batch, None)


def _settle(batch: list[Waiting], failure: Exception | None) -> None:
    for _, stored in batch:
        if stored.done():  # the request was cancelled meanwhile
            continue
        if failure is None:
            stored.set_result(None)
        else:
            stored.set_exception(failure)
