"""Re-encrypt health data still under an older key, in committed batches.

Resumable by construction: each batch selects rows whose key_id is not the
current one, so a stopped run simply continues where it left off. Each row is
rewritten only if it is unchanged since it was read (key_id, and for records
the version), so a concurrent edit is never overwritten with older text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.models import AnnotationRow, RecordRow
from healthrecords.adapters.sqlalchemy.repositories.annotations import TABLE as ANNOTATIONS
from healthrecords.adapters.sqlalchemy.repositories.records import TABLE as RECORDS
from healthrecords.domain.errors import StoredDataUnreadable

log = logging.getLogger(__name__)


@dataclass
class RotationReport:
    current_key_id: str
    records_rotated: int = 0
    annotations_rotated: int = 0
    skipped_changed: int = 0
    unreadable: list[str] = field(default_factory=list)
    batches: int = 0


async def rotate_keys(
    sessions: async_sessionmaker[AsyncSession], cipher: FieldCipher, batch_size: int = 500
) -> RotationReport:
    report = RotationReport(current_key_id=cipher.current_key_id)
    await _rotate_records(sessions, cipher, batch_size, report)
    await _rotate_annotations(sessions, cipher, batch_size, report)
    return report


def _reseal(
    cipher: FieldCipher, blob: bytes, key_id: str, table: str, name: str, row: UUID, pid: UUID
) -> bytes:
    plain = cipher.decrypt(blob, key_id=key_id, table=table, field=name, row_id=row, patient_id=pid)
    return cipher.encrypt(plain, table=table, field=name, row_id=row, patient_id=pid)[1]


async def _rotate_records(
    sessions: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    batch_size: int,
    report: RotationReport,
) -> None:
    last: UUID | None = None
    while True:
        async with sessions() as session:
            query = select(RecordRow).where(RecordRow.key_id != cipher.current_key_id)
            if last is not None:
                # Walk by id so rows that cannot be decrypted are passed, not retried.
                query = query.where(RecordRow.id > last)
            rows = list(await session.scalars(query.order_by(RecordRow.id).limit(batch_size)))
            if not rows:
                return
            for row in rows:
                last = row.id
                try:
                    title = _reseal(
                        cipher,
                        row.title_ciphertext,
                        row.key_id,
                        RECORDS,
                        "title",
                        row.id,
                        row.patient_id,
                    )
                    content = _reseal(
                        cipher,
                        row.content_ciphertext,
                        row.key_id,
                        RECORDS,
                        "content",
                        row.id,
                        row.patient_id,
                    )
                except StoredDataUnreadable:
                    report.unreadable.append(f"{RECORDS}:{row.id}")
                    continue
                result = await session.execute(
                    update(RecordRow)
                    .where(
                        RecordRow.id == row.id,
                        RecordRow.key_id == row.key_id,
                        RecordRow.version == row.version,
                    )
                    .values(
                        key_id=cipher.current_key_id,
                        title_ciphertext=title,
                        content_ciphertext=content,
                    )
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    report.records_rotated += 1
                else:
                    report.skipped_changed += 1
            await session.commit()
            report.batches += 1
            log.info("rotated a batch", extra={"table": RECORDS, "rows": len(rows)})


async def _rotate_annotations(
    sessions: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    batch_size: int,
    report: RotationReport,
) -> None:
    last: UUID | None = None
    while True:
        async with sessions() as session:
            query = select(AnnotationRow).where(AnnotationRow.key_id != cipher.current_key_id)
            if last is not None:
                query = query.where(AnnotationRow.id > last)
            rows = list(await session.scalars(query.order_by(AnnotationRow.id).limit(batch_size)))
            if not rows:
                return
            for row in rows:
                last = row.id
                try:
                    body = _reseal(
                        cipher,
                        row.body_ciphertext,
                        row.key_id,
                        ANNOTATIONS,
                        "body",
                        row.id,
                        row.patient_id,
                    )
                except StoredDataUnreadable:
                    report.unreadable.append(f"{ANNOTATIONS}:{row.id}")
                    continue
                result = await session.execute(
                    update(AnnotationRow)
                    .where(AnnotationRow.id == row.id, AnnotationRow.key_id == row.key_id)
                    .values(key_id=cipher.current_key_id, body_ciphertext=body)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    report.annotations_rotated += 1
                else:
                    report.skipped_changed += 1
            await session.commit()
            report.batches += 1
            log.info("rotated a batch", extra={"table": ANNOTATIONS, "rows": len(rows)})
