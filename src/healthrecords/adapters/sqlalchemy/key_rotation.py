"""Re-encrypt health data still under an older key, in committed batches.

Resumable by construction: each batch selects rows whose key_id is not the
current one, so a stopped run simply continues where it left off. Each row is
rewritten only if it is unchanged since it was read (key_id, and for records
the version), so a concurrent edit is never overwritten with older text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.models import (
    AnnotationRow,
    IdempotencyKeyRow,
    RecordRow,
    RecordVersionRow,
)
from healthrecords.adapters.sqlalchemy.repositories.annotations import TABLE as ANNOTATIONS
from healthrecords.adapters.sqlalchemy.repositories.idempotency import TABLE as IDEMPOTENCY
from healthrecords.adapters.sqlalchemy.repositories.record_rows import TABLE as RECORDS
from healthrecords.adapters.sqlalchemy.repositories.record_versions import version_aad
from healthrecords.domain.errors import StoredDataUnreadable

log = logging.getLogger(__name__)


@dataclass
class RotationReport:
    current_key_id: str
    records_rotated: int = 0
    annotations_rotated: int = 0
    record_versions_rotated: int = 0
    # Stored first answers to Idempotency-Keys (kept 24 h): rotated too, so a
    # retired key never makes a retry's replay unreadable.
    idempotency_answers_rotated: int = 0
    skipped_changed: int = 0
    unreadable: list[str] = field(default_factory=list)
    batches: int = 0


@dataclass(frozen=True, slots=True)
class _Sealed:
    """A table with encrypted columns: which columns, and what else must be unchanged."""

    model: type[RecordRow] | type[AnnotationRow] | type[RecordVersionRow] | type[IdempotencyKeyRow]
    table: str
    columns: dict[str, str]  # field name bound in the AAD -> ciphertext column
    unchanged: tuple[str, ...]
    aad: Callable[[Any], dict[str, Any]] | None = None  # all but `field`; None: the row's own


def _row_aad(table: str, row: Any) -> dict[str, Any]:
    return {"table": table, "row_id": row.id, "patient_id": row.patient_id}


def _answer_aad(row: Any) -> dict[str, Any]:
    # A stored answer is bound to the user who made the request.
    return {"table": IDEMPOTENCY, "row_id": row.id, "patient_id": row.user_id}


RECORD_COLUMNS = _Sealed(
    RecordRow,
    RECORDS,
    {"title": "title_ciphertext", "content": "content_ciphertext"},
    ("key_id", "version"),
)
ANNOTATION_COLUMNS = _Sealed(AnnotationRow, ANNOTATIONS, {"body": "body_ciphertext"}, ("key_id",))
# Kept versions never change, so key_id alone says the row is as it was read.
VERSION_COLUMNS = _Sealed(
    RecordVersionRow,
    "health_record_version",
    {"title": "title_ciphertext", "content": "content_ciphertext"},
    ("key_id",),
    version_aad,
)
IDEMPOTENCY_COLUMNS = _Sealed(
    IdempotencyKeyRow, IDEMPOTENCY, {"body": "body_ciphertext"}, ("key_id",), _answer_aad
)


async def rotate_keys(
    sessions: async_sessionmaker[AsyncSession], cipher: FieldCipher, batch_size: int = 500
) -> RotationReport:
    report = RotationReport(current_key_id=cipher.current_key_id)
    report.records_rotated = await _rotate(sessions, cipher, batch_size, report, RECORD_COLUMNS)
    report.annotations_rotated = await _rotate(
        sessions, cipher, batch_size, report, ANNOTATION_COLUMNS
    )
    report.record_versions_rotated = await _rotate(
        sessions, cipher, batch_size, report, VERSION_COLUMNS
    )
    report.idempotency_answers_rotated = await _rotate(
        sessions, cipher, batch_size, report, IDEMPOTENCY_COLUMNS
    )
    return report


def _reseal(cipher: FieldCipher, sealed: _Sealed, row: Any) -> dict[str, bytes]:
    """Every encrypted column of the row under the current key (AAD unchanged)."""
    fresh: dict[str, bytes] = {}
    for name, column in sealed.columns.items():
        aad = {**(sealed.aad(row) if sealed.aad else _row_aad(sealed.table, row)), "field": name}
        plain = cipher.decrypt(getattr(row, column), key_id=row.key_id, **aad)
        fresh[column] = cipher.encrypt(plain, **aad)[1]
    return fresh


async def _rotate(
    sessions: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    batch_size: int,
    report: RotationReport,
    sealed: _Sealed,
) -> int:
    model = sealed.model
    rotated = 0
    last: UUID | None = None
    while True:
        async with sessions() as session:
            query = select(model).where(model.key_id != cipher.current_key_id)
            if last is not None:
                # Walk by id so rows that cannot be decrypted are passed, not retried.
                query = query.where(model.id > last)
            rows = list(await session.scalars(query.order_by(model.id).limit(batch_size)))
            if not rows:
                return rotated
            for row in rows:
                last = row.id
                try:
                    fresh = _reseal(cipher, sealed, row)
                except StoredDataUnreadable:
                    report.unreadable.append(f"{sealed.table}:{row.id}")
                    continue
                unchanged = [getattr(model, c) == getattr(row, c) for c in sealed.unchanged]
                result = await session.execute(
                    update(model)
                    .where(model.id == row.id, *unchanged)
                    .values(key_id=cipher.current_key_id, **fresh)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    rotated += 1
                else:
                    report.skipped_changed += 1
            await session.commit()
            report.batches += 1
            log.info("rotated a batch", extra={"table": sealed.table, "rows": len(rows)})
