"""A record's stored row: sealed on the way in, opened on the way out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from healthrecords.adapters.security.cipher import FieldCipher, SealedColumns
from healthrecords.adapters.security.data_keys import WrappedKey
from healthrecords.adapters.sqlalchemy.repositories.data_keys import wrapped_of
from healthrecords.domain.records import FetchedPage, Record, RecordType

TABLE = "health_record"
_SEALED = SealedColumns.of(TABLE, "title", "content")
_TYPES = {t.value: t for t in RecordType}


class Columns(Protocol):
    """A row by column name: SQLAlchemy's RowMapping or asyncpg's Record."""

    def __getitem__(self, key: str, /) -> Any: ...


def seal_record(cipher: FieldCipher, record: Record, data_key: WrappedKey) -> dict[str, object]:
    """The encrypted columns for `record`, all under the patient's data key."""

    def seal(field: str, text: str) -> tuple[str, bytes]:
        return cipher.encrypt(
            text,
            table=TABLE,
            field=field,
            row_id=record.id,
            patient_id=record.patient_id,
            data_key=data_key,
        )

    key_id, title = seal("title", record.title)
    _, content = seal("content", record.content)
    return {"key_id": key_id, "title_ciphertext": title, "content_ciphertext": content}


def record_row(cipher: FieldCipher, record: Record, data_key: WrappedKey) -> dict[str, object]:
    """Every column of a new record's row, sealed under `data_key`."""
    return {
        "id": record.id,
        "patient_id": record.patient_id,
        "author_id": record.author_id,
        "record_type": record.record_type.value,
        "recorded_at": record.recorded_at,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "version": record.version,
        "deleted_at": record.deleted_at,
        "updated_by": record.updated_by or record.author_id,
        **seal_record(cipher, record, data_key),
    }


def open_record(cipher: FieldCipher, row: Columns) -> Record:
    """The record of a row by column name (SQLAlchemy's or asyncpg's)."""
    row_id, patient_id, key_id = row["id"], row["patient_id"], row["key_id"]
    title, content = cipher.decrypt_row(
        _SEALED,
        (row["title_ciphertext"], row["content_ciphertext"]),
        key_id=key_id,
        row_id=row_id,
        patient_id=patient_id,
        data_key=wrapped_of(row, patient_id, key_id),
    )
    kind = row["record_type"]
    return Record(
        id=row_id,
        patient_id=patient_id,
        author_id=row["author_id"],
        title=title,
        # A dict lookup instead of the enum's call (its ValueError kept for a value it lacks).
        record_type=_TYPES.get(kind) or RecordType(kind),
        content=content,
        recorded_at=row["recorded_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        deleted_at=row["deleted_at"],
        updated_by=row["updated_by"],
    )


def open_page(cipher: FieldCipher, rows: Sequence[Columns]) -> FetchedPage:
    """A page fetched with the reader's assignment fact (`ONE_FILE_FOR_READER`):
    an empty page is one row holding only the fact."""
    assigned = bool(rows[0]["reader_assigned"]) if rows else False
    return FetchedPage([open_record(cipher, r) for r in rows if r["id"] is not None], assigned)
