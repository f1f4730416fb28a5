"""A create's work on the asyncpg pool (domain/ports/unit_of_work.py, CreateWork).

The record and its audit row are held until commit and then sent as one
statement: one round trip, atomic on its own (no BEGIN/COMMIT), where the
unit of work takes five. The statement stores the record only if the
patient's account is not erased and the key it was sealed under is still
the patient's newest, holding the account FOR KEY SHARE as the unit of work
does (an erasure or a key's retirement waits for it); the audit row is
stored only with the record. Stored nothing: the key is read again and the
record sealed again, or NotFound if the file is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

from healthrecords.adapters.asyncpg.audit import (
    AUDIT_COLUMN_LIST,
    AUDIT_COLUMNS,
    columns_of,
    unnest_audit_rows,
)
from healthrecords.adapters.asyncpg.data_keys import CurrentKeys
from healthrecords.adapters.asyncpg.pool import DirectPool
from healthrecords.adapters.asyncpg.records import DirectAssignmentFacts
from healthrecords.adapters.asyncpg.statements import Compiled
from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.security.data_keys import WrappedKey
from healthrecords.adapters.sqlalchemy.repositories.record_rows import record_row
from healthrecords.domain.audit import AuditEvent
from healthrecords.domain.errors import Unavailable
from healthrecords.domain.ports.audit import AuditTrail
from healthrecords.domain.records import Record

_RECORD_COLUMNS = (
    ("id", "uuid"),
    ("patient_id", "uuid"),
    ("author_id", "uuid"),
    ("record_type", "text"),
    ("key_id", "text"),
    ("title_ciphertext", "bytea"),
    ("content_ciphertext", "bytea"),
    ("recorded_at", "timestamptz"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
    ("version", "integer"),
    ("deleted_at", "timestamptz"),
    ("updated_by", "uuid"),
)
_AUDIT_FROM = len(_RECORD_COLUMNS) + 1
# Built from the constants above only, never from input.
_STORE_SQL = f"""
WITH account AS (
    SELECT id FROM user_account WHERE id = $2 AND erased_at IS NULL FOR KEY SHARE
), newest AS (
    SELECT k.ref FROM patient_data_key AS k JOIN account ON k.patient_id = account.id
    ORDER BY k.generation DESC LIMIT 1
), stored AS (
    INSERT INTO health_record ({", ".join(name for name, _ in _RECORD_COLUMNS)})
    SELECT {", ".join(f"${i}::{kind}" for i, (_, kind) in enumerate(_RECORD_COLUMNS, 1))}
    FROM newest WHERE newest.ref = $5
    RETURNING id
), audited AS (
    INSERT INTO audit_event ({AUDIT_COLUMN_LIST})
    SELECT trail.* FROM {unnest_audit_rows(_AUDIT_FROM)} AS trail CROSS JOIN stored
)
SELECT count(*) AS stored FROM stored
"""  # noqa: S608
STORE = Compiled(
    _STORE_SQL,
    tuple(name for name, _ in _RECORD_COLUMNS)
    + tuple(f"audit_{name}" for name, _ in AUDIT_COLUMNS),
)
# A newer key or an erasure between reading the key and storing: read it again.
# More misses in a row than this means the keys are changing faster than we
# can write, which only a fault explains.
ATTEMPTS = 3
KEYS_CHANGING = "The patient's keys are being changed; try again shortly."


class PendingRecord:
    """`add` reads the key (NotFound if the file is gone); commit stores."""

    def __init__(self, keys: CurrentKeys) -> None:
        self._keys = keys
        self.record: tuple[Record, WrappedKey] | None = None

    async def add(self, record: Record) -> None:
        if self.record is not None:
            raise RuntimeError("a create stores one record")
        self.record = (record, await self._keys.current(record.patient_id))


class PendingEvents:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    async def add(self, event: AuditEvent) -> None:
        self.events.append(event)

    async def add_many(self, events: Sequence[AuditEvent]) -> None:
        self.events.extend(events)


class DirectCreateWork:
    def __init__(
        self,
        pool: DirectPool,
        cipher: FieldCipher,
        keys: CurrentKeys,
        assignments: DirectAssignmentFacts,
        trail: AuditTrail,
    ) -> None:
        self._pool = pool
        self._cipher = cipher
        self._keys = keys
        self._trail = trail
        self.records = PendingRecord(keys)
        self.assignments = assignments
        self.audit = PendingEvents()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def rollback(self) -> None:
        self.records.record = None
        self.audit.events = []

    async def commit(self) -> None:
        pending, events = self.records.record, self.audit.events
        await self.rollback()
        if pending is None:
            # A denied attempt: its audit row alone.
            await self._trail.add_many(events)
            return
        record, key = pending
        for _ in range(ATTEMPTS):
            if await self._stored(record, key, events):
                return
            key = await self._keys.fresh(record.patient_id)
        raise Unavailable(KEYS_CHANGING)

    async def _stored(self, record: Record, key: WrappedKey, events: list[AuditEvent]) -> bool:
        params: dict[str, Any] = record_row(self._cipher, record, key)
        for (name, _), values in zip(AUDIT_COLUMNS, columns_of(events), strict=True):
            params[f"audit_{name}"] = values
        row = await self._pool.fetchrow(STORE, params)
        return bool(row["stored"])
