"""Each patient's newest data key as this process last saw it, for the lean create.

A remembered key may be stale (a newer generation, an erased file): the
statement that stores a record checks, under a key-share lock on the
account, that the key it was sealed under is still the newest, and stores
nothing otherwise (record_creation.py). So this memory saves a round trip
per create and never decides what is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from healthrecords.adapters.asyncpg.pool import DirectPool
from healthrecords.adapters.asyncpg.statements import Compiled
from healthrecords.adapters.security.data_keys import DataKeys, WrappedKey
from healthrecords.adapters.sqlalchemy.repositories.data_keys import (
    FILE_GONE,
    NEWEST_KEY,
    newest_of,
)
from healthrecords.domain.errors import NotFound

_NEWEST_KEY = Compiled.of(NEWEST_KEY)
# A patient's first key. The key-share lock makes an erasure in progress
# (FOR UPDATE) finish first; its account is then erased and no key is stored.
_FIRST_KEY = """
INSERT INTO patient_data_key (id, patient_id, ref, generation, wrap_key_id, wrapped_key, created_at)
SELECT $1::uuid, id, $3::text, 1, $4::text, $5::bytea, $6::timestamptz
FROM user_account WHERE id = $2::uuid AND erased_at IS NULL
FOR KEY SHARE
ON CONFLICT (patient_id, ref) DO NOTHING
"""
MAX_REMEMBERED = 10_000


class CurrentKeys:
    def __init__(self, pool: DirectPool, keys: DataKeys) -> None:
        self._pool = pool
        self._keys = keys
        self._known: dict[UUID, WrappedKey] = {}

    async def current(self, patient_id: UUID) -> WrappedKey:
        """The key last seen as the patient's newest; NotFound if the file is gone."""
        known = self._known.get(patient_id)
        return known if known is not None else await self.fresh(patient_id)

    async def fresh(self, patient_id: UUID) -> WrappedKey:
        """The patient's newest key as stored now (made if it has none yet)."""
        self._known.pop(patient_id, None)
        key = await self._newest(patient_id)
        if key is None:
            fresh = self._keys.new(patient_id, 1)
            await self._pool.execute(
                _FIRST_KEY,
                uuid4(),
                patient_id,
                fresh.ref,
                fresh.wrap_key_id,
                fresh.wrapped,
                datetime.now(UTC),
            )
            key = await self._newest(patient_id)
            if key is None:
                raise NotFound(FILE_GONE)
        if len(self._known) >= MAX_REMEMBERED:
            self._known.pop(next(iter(self._known)))
        self._known[patient_id] = key
        return key

    async def _newest(self, patient_id: UUID) -> WrappedKey | None:
        row = await self._pool.fetchrow(_NEWEST_KEY, {"patient_id": patient_id})
        return newest_of(row, patient_id)
