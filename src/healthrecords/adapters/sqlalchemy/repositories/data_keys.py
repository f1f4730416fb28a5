"""The patient's data key for writes, and the wrapped key fetched with each read row.

Reads join `patient_data_key` on (patient_id, key_id = ref): the row comes
back with the wrapped key it was sealed under, so whether a file is readable
is decided by the database at the moment of the read, never by a cache. A row
that names a data key which is gone (the file was erased) is not returned.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVarTuple
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.security.data_keys import (
    REF_PREFIX,
    DataKeys,
    WrappedKey,
    data_key_ref,
)
from healthrecords.adapters.sqlalchemy.models import DataKeyRow, UserRow
from healthrecords.domain.errors import NotFound

# A select's columns (Select is variadic in SQLAlchemy 2.1).
Ts = TypeVarTuple("Ts")

# The wrapped key travels with the row under these names.
WRAP_KEY_ID = "dk_wrap_key_id"
WRAPPED_KEY = "dk_wrapped_key"
KEY_COLUMNS = (
    DataKeyRow.wrap_key_id.label(WRAP_KEY_ID),
    DataKeyRow.wrapped_key.label(WRAPPED_KEY),
)
FILE_GONE = "No such patient file."


def key_of(model: Any) -> ColumnElement[bool]:
    return and_(DataKeyRow.patient_id == model.patient_id, DataKeyRow.ref == model.key_id)


def under_master_key(model: Any) -> ColumnElement[bool]:
    """Written before data keys, not yet moved under one."""
    # The prefix inline, not bound: the lean path compiles these statements once.
    head = func.substr(model.key_id, literal_column("1"), literal_column(str(len(REF_PREFIX))))
    legacy: ColumnElement[bool] = head != literal_column(f"'{REF_PREFIX}'")
    return legacy


def readable(model: Any) -> ColumnElement[bool]:
    """Under a master key (not yet moved to data keys), or its data key exists."""
    return or_(DataKeyRow.id.is_not(None), under_master_key(model))


def with_data_key(query: Select[*Ts], model: Any) -> Select[*Ts]:
    """`query` (selecting from `model`) with the row's wrapped key, erased rows left out."""
    return query.outerjoin(DataKeyRow, key_of(model)).where(readable(model))


def wrapped_of(row: Any, patient_id: UUID, key_id: str) -> WrappedKey | None:
    """The wrapped key a read row came with (None for a row under a master key)."""
    wrapped = row[WRAPPED_KEY]
    if wrapped is None:
        return None
    return WrappedKey(patient_id, key_id, row[WRAP_KEY_ID], wrapped)


# The patient's newest key (the account row comes back even without one).
NEWEST_KEY = (
    select(
        UserRow.erased_at,
        DataKeyRow.ref,
        DataKeyRow.wrap_key_id,
        DataKeyRow.wrapped_key,
    )
    .select_from(UserRow)
    .outerjoin(DataKeyRow, DataKeyRow.patient_id == UserRow.id)
    .where(UserRow.id == bindparam("patient_id"))
    .order_by(DataKeyRow.generation.desc())
    .limit(literal_column("1"))
)
# ... with a key-share lock on the account: an erasure (which takes FOR UPDATE
# on it) waits for this write to commit, and a write after an erasure sees
# the account erased. Key-share (read=True; without it SQLAlchemy renders FOR
# NO KEY UPDATE), so it never conflicts with the plain updates of the same
# row (notification_seq bumps) nor with the same patient's other writes.
_CURRENT = NEWEST_KEY.with_for_update(read=True, key_share=True, of=UserRow)
_BY_REF = select(DataKeyRow.wrap_key_id, DataKeyRow.wrapped_key).where(
    DataKeyRow.patient_id == bindparam("patient_id"), DataKeyRow.ref == bindparam("ref")
)


def newest_of(row: Any, patient_id: UUID) -> WrappedKey | None:
    """The key a NEWEST_KEY row names (by column name, either driver's row):
    None if the patient has none yet; NotFound if the file is gone."""
    if row is None or row["erased_at"] is not None:
        raise NotFound(FILE_GONE)
    if row["ref"] is None:
        return None
    return WrappedKey(patient_id, row["ref"], row["wrap_key_id"], row["wrapped_key"])


async def store_new_key(
    session: AsyncSession, keys: DataKeys, patient_id: UUID, generation: int
) -> WrappedKey:
    """Generation `generation` of the patient's key; a concurrent writer's if it won."""
    fresh = keys.new(patient_id, generation)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.execute(
        insert(DataKeyRow)
        .values(
            id=uuid4(),
            patient_id=patient_id,
            ref=fresh.ref,
            generation=generation,
            wrap_key_id=fresh.wrap_key_id,
            wrapped_key=fresh.wrapped,
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["patient_id", "ref"])
    )
    row = (await session.execute(_BY_REF, {"patient_id": patient_id, "ref": fresh.ref})).one()
    return WrappedKey(patient_id, fresh.ref, row.wrap_key_id, row.wrapped_key)


class SqlDataKeys:
    """The current data key of each patient a unit of work writes for."""

    def __init__(self, session: AsyncSession, keys: DataKeys) -> None:
        self._session = session
        self._keys = keys
        self._current: dict[UUID, WrappedKey] = {}

    async def current(self, patient_id: UUID) -> WrappedKey:
        known = self._current.get(patient_id)
        if known is not None:
            return known
        found = await self._session.execute(_CURRENT, {"patient_id": patient_id})
        key = newest_of(found.mappings().first(), patient_id)
        if key is None:
            key = await store_new_key(self._session, self._keys, patient_id, 1)
        self._current[patient_id] = key
        return key


__all__ = [
    "KEY_COLUMNS",
    "NEWEST_KEY",
    "SqlDataKeys",
    "data_key_ref",
    "newest_of",
    "with_data_key",
    "wrapped_of",
]
