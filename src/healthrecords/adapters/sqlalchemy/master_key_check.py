"""At start-up: every master key that wraps a stored data key is configured and right.

One wrapped key per master key id is unwrapped (an index lookup each), so a
missing key, or a different key under the same id, stops the process at once
with the key id named, instead of surfacing later as unreadable records.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from healthrecords.adapters.security.data_keys import DataKeys, MasterKeyMissing, WrappedKey
from healthrecords.adapters.sqlalchemy.models import DataKeyRow

_MASTERS = select(DataKeyRow.wrap_key_id).distinct()


async def verify_master_keys(sessions: async_sessionmaker[AsyncSession], keys: DataKeys) -> None:
    """Raises MasterKeyMissing naming the first master key id that fails."""
    async with sessions() as session:
        for master in list(await session.scalars(_MASTERS)):
            one = select(DataKeyRow).where(DataKeyRow.wrap_key_id == master).limit(1)
            row = await session.scalar(one)
            if row is not None:
                keys.check(WrappedKey(row.patient_id, row.ref, row.wrap_key_id, row.wrapped_key))


__all__ = ["MasterKeyMissing", "verify_master_keys"]
