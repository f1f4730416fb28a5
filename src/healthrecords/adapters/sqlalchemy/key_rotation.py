"""`rotate-keys`: data keys rewrapped, rows moved under their patient's newest data key.

Cheap by default: the data keys are rewrapped under the current master key
(one row per patient key, never a record). Rows are re-encrypted only where
they are not under their patient's newest data key: rows written before data
keys existed (the migration's re-encryption step) and, with `--data-keys`,
every row of a patient whose key was replaced. Stored idempotency answers stay
under the master keys and are re-encrypted as before.

Resumable by construction: each batch selects only rows still to do, walking
by id so a row that cannot be decrypted is passed, not retried. Each row is
rewritten only if unchanged since it was read (key_id, and for records the
version), so a concurrent edit is never overwritten with older text. Readers
keep working throughout: a row is readable under its old key until rewritten.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy import data_key_rotation
from healthrecords.adapters.sqlalchemy.models import DataKeyRow
from healthrecords.adapters.sqlalchemy.repositories.data_keys import (
    KEY_COLUMNS,
    WRAP_KEY_ID,
    WRAPPED_KEY,
    SqlDataKeys,
    with_data_key,
    wrapped_of,
)
from healthrecords.adapters.sqlalchemy.resealing import (
    ANNOTATION_COLUMNS,
    EMERGENCY_COLUMNS,
    IDEMPOTENCY_COLUMNS,
    RECORD_COLUMNS,
    VERSION_COLUMNS,
    Sealed,
    reseal,
)
from healthrecords.domain.errors import NotFound, StoredDataUnreadable

log = logging.getLogger(__name__)


@dataclass
class RotationReport:
    current_key_id: str
    records_rotated: int = 0
    annotations_rotated: int = 0
    record_versions_rotated: int = 0
    emergency_reasons_rotated: int = 0
    idempotency_answers_rotated: int = 0
    data_keys_rewrapped: int = 0
    data_keys_replaced: int = 0
    data_keys_retired: int = 0
    # --data-keys: keys created before this were replaced; run again with the
    # same cutoff to finish a stopped run without replacing keys twice.
    data_keys_before: str | None = None
    skipped_changed: int = 0
    unreadable: list[str] = field(default_factory=list)
    batches: int = 0


async def rotate_keys(
    sessions: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    batch_size: int = 500,
    data_keys_before: datetime | None = None,
) -> RotationReport:
    keys = cipher.data_keys
    report = RotationReport(current_key_id=cipher.current_key_id)
    report.data_keys_rewrapped, report.batches = await data_key_rotation.rewrap(
        sessions, keys, batch_size, report.unreadable
    )
    if data_keys_before is not None:
        report.data_keys_before = data_keys_before.isoformat()
        report.data_keys_replaced = await data_key_rotation.replace(
            sessions, keys, data_keys_before, batch_size
        )
    for sealed, counter in (
        (RECORD_COLUMNS, "records_rotated"),
        (ANNOTATION_COLUMNS, "annotations_rotated"),
        (VERSION_COLUMNS, "record_versions_rotated"),
        (EMERGENCY_COLUMNS, "emergency_reasons_rotated"),
    ):
        done = await _reseal_rows(sessions, cipher, batch_size, report, sealed, file_rows=True)
        setattr(report, counter, done)
    report.idempotency_answers_rotated = await _reseal_rows(
        sessions, cipher, batch_size, report, IDEMPOTENCY_COLUMNS, file_rows=False
    )
    if data_keys_before is not None:
        report.data_keys_retired = await data_key_rotation.retire(sessions, batch_size)
    return report


def _not_under_newest_key(model: Any) -> ColumnElement[bool]:
    newest = aliased(DataKeyRow)
    ref = (
        select(newest.ref)
        .where(newest.patient_id == model.patient_id)
        .order_by(newest.generation.desc())
        .limit(1)
        .correlate(model)
        .scalar_subquery()
    )
    stale: ColumnElement[bool] = model.key_id != func.coalesce(ref, "")
    return stale


async def _reseal_rows(
    sessions: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    batch_size: int,
    report: RotationReport,
    sealed: Sealed,
    file_rows: bool,
) -> int:
    """File rows: onto the patient's newest data key; answers: onto the current master key."""
    model: Any = sealed.model
    stale: Select[Any, Any, Any]
    if file_rows:
        stale = with_data_key(select(model, *KEY_COLUMNS).select_from(model), model).where(
            _not_under_newest_key(model)
        )
    else:
        nothing = (literal(None).label(WRAP_KEY_ID), literal(None).label(WRAPPED_KEY))
        stale = select(model, *nothing).where(model.key_id != cipher.current_key_id)
    rotated = 0
    last: UUID | None = None
    while True:
        async with sessions() as session:
            query = stale if last is None else stale.where(model.id > last)
            rows = list(await session.execute(query.order_by(model.id).limit(batch_size)))
            if not rows:
                return rotated
            file_keys = SqlDataKeys(session, cipher.data_keys)
            for fetched in rows:
                row = fetched[0]
                last = row.id
                try:
                    was = to = None
                    if file_rows:
                        was = wrapped_of(fetched._mapping, row.patient_id, row.key_id)
                        to = await file_keys.current(row.patient_id)
                    fresh = reseal(cipher, sealed, row, was, to)
                except NotFound:  # erased meanwhile: nothing left to rewrite
                    continue
                except StoredDataUnreadable:
                    report.unreadable.append(f"{sealed.table}:{row.id}")
                    continue
                unchanged = [getattr(model, c) == getattr(row, c) for c in sealed.unchanged]
                result = await session.execute(
                    update(model)
                    .where(model.id == row.id, *unchanged)
                    .values(key_id=to.ref if to else cipher.current_key_id, **fresh)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    rotated += 1
                else:
                    report.skipped_changed += 1
            await session.commit()
            report.batches += 1
            log.info("rotated a batch", extra={"table": sealed.table, "rows": len(rows)})
