"""The data keys themselves: rewrap under the current master key, replace, retire.

Rewrapping touches one small row per patient key, never a record. Replacing
(`rotate-keys --data-keys`) adds a newer generation that new writes use at
once; the rows are then re-sealed (key_rotation.py) and a generation no row
points at any more is dropped. Dropping takes the account row FOR UPDATE, as
the erasure does, so it waits for any write still sealing under the old key
(writers hold it FOR KEY SHARE: repositories/data_keys.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from healthrecords.adapters.security.data_keys import DataKeys, MasterKeyMissing, WrappedKey
from healthrecords.adapters.sqlalchemy.models import DataKeyRow, UserRow
from healthrecords.adapters.sqlalchemy.repositories.data_keys import store_new_key
from healthrecords.adapters.sqlalchemy.resealing import FILE_TABLES


def _wrapped(row: DataKeyRow) -> WrappedKey:
    return WrappedKey(row.patient_id, row.ref, row.wrap_key_id, row.wrapped_key)


async def rewrap(
    sessions: async_sessionmaker[AsyncSession],
    keys: DataKeys,
    batch_size: int,
    unreadable: list[str],
) -> tuple[int, int]:
    """Every data key not wrapped by the current master key, rewrapped.
    Returns (keys rewrapped, batches)."""
    done = batches = 0
    last: UUID | None = None
    while True:
        async with sessions() as session:
            query = select(DataKeyRow).where(DataKeyRow.wrap_key_id != keys.current_master)
            if last is not None:
                query = query.where(DataKeyRow.id > last)
            rows = list(await session.scalars(query.order_by(DataKeyRow.id).limit(batch_size)))
            if not rows:
                return done, batches
            for row in rows:
                last = row.id
                try:
                    fresh = keys.rewrap(_wrapped(row))
                except MasterKeyMissing:
                    unreadable.append(f"patient_data_key:{row.id}")
                    continue
                result = await session.execute(
                    update(DataKeyRow)
                    .where(DataKeyRow.id == row.id, DataKeyRow.wrapped_key == row.wrapped_key)
                    .values(wrap_key_id=fresh.wrap_key_id, wrapped_key=fresh.wrapped)
                    .execution_options(synchronize_session=False)
                )
                done += result.rowcount  # type: ignore[attr-defined]
            await session.commit()
            batches += 1


async def _lock_live_account(session: AsyncSession, patient_id: UUID, update_lock: bool) -> bool:
    query = select(UserRow.erased_at).where(UserRow.id == patient_id)
    # FOR KEY SHARE needs read=True: key_share alone renders FOR NO KEY UPDATE.
    key_share = query.with_for_update(read=True, key_share=True)
    query = query.with_for_update() if update_lock else key_share
    row = (await session.execute(query)).first()
    return row is not None and row.erased_at is None


async def replace(
    sessions: async_sessionmaker[AsyncSession],
    keys: DataKeys,
    created_before: datetime,
    batch_size: int,
) -> int:
    """A newer generation for every patient whose newest key is older than
    `created_before` (so a stopped run, started again with the same cutoff,
    goes on where it stopped). Returns how many were made."""
    made = 0
    last: UUID | None = None
    while True:
        async with sessions() as session:
            query = (
                select(DataKeyRow.patient_id, func.max(DataKeyRow.generation))
                .group_by(DataKeyRow.patient_id)
                .having(func.max(DataKeyRow.created_at) < created_before)
            )
            if last is not None:
                query = query.where(DataKeyRow.patient_id > last)
            rows = list(
                await session.execute(query.order_by(DataKeyRow.patient_id).limit(batch_size))
            )
            if not rows:
                return made
            for patient_id, generation in rows:
                last = patient_id
                if await _lock_live_account(session, patient_id, update_lock=False):
                    await store_new_key(session, keys, patient_id, generation + 1)
                    made += 1
            await session.commit()


def _unused(key: type[DataKeyRow]) -> list[ColumnElement[bool]]:
    models: list[Any] = [sealed.model for sealed in FILE_TABLES]
    return [~exists().where(m.patient_id == key.patient_id, m.key_id == key.ref) for m in models]


async def retire(sessions: async_sessionmaker[AsyncSession], batch_size: int) -> int:
    """Drop every data key that is not its patient's newest and no row uses."""
    dropped = 0
    last: UUID | None = None
    newest = aliased(DataKeyRow)
    superseded = exists().where(
        newest.patient_id == DataKeyRow.patient_id, newest.generation > DataKeyRow.generation
    )
    while True:
        async with sessions() as session:
            query = select(DataKeyRow.id, DataKeyRow.patient_id).where(superseded)
            if last is not None:
                query = query.where(DataKeyRow.id > last)
            candidates = list(
                await session.execute(query.order_by(DataKeyRow.id).limit(batch_size))
            )
            if not candidates:
                return dropped
            for key_id, patient_id in candidates:
                last = key_id
                await _lock_live_account(session, patient_id, update_lock=True)
                result = await session.execute(
                    delete(DataKeyRow)
                    .where(DataKeyRow.id == key_id, *_unused(DataKeyRow))
                    .execution_options(synchronize_session=False)
                )
                dropped += result.rowcount  # type: ignore[attr-defined]
            await session.commit()
