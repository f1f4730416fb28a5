"""Rows with encrypted columns, and how one is re-sealed under another key.

The tables whose columns a rotation rewrites, what each binds in its
associated data, and what must be unchanged for a rewrite to land (a
concurrent edit is never overwritten with older text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.security.data_keys import WrappedKey
from healthrecords.adapters.sqlalchemy.models import (
    AnnotationRow,
    EmergencyAccessRow,
    IdempotencyKeyRow,
    RecordRow,
    RecordVersionRow,
)
from healthrecords.adapters.sqlalchemy.repositories.annotations import TABLE as ANNOTATIONS
from healthrecords.adapters.sqlalchemy.repositories.idempotency import TABLE as IDEMPOTENCY
from healthrecords.adapters.sqlalchemy.repositories.record_rows import TABLE as RECORDS
from healthrecords.adapters.sqlalchemy.repositories.record_versions import version_aad

Model = (
    type[RecordRow]
    | type[AnnotationRow]
    | type[RecordVersionRow]
    | type[IdempotencyKeyRow]
    | type[EmergencyAccessRow]
)


@dataclass(frozen=True, slots=True)
class Sealed:
    """A table with encrypted columns: which columns, and what else must be unchanged."""

    model: Model
    table: str
    columns: dict[str, str]  # field name bound in the AAD -> ciphertext column
    unchanged: tuple[str, ...]
    aad: Callable[[Any], dict[str, Any]] | None = None  # all but `field`; None: the row's own


def _answer_aad(row: Any) -> dict[str, Any]:
    # A stored answer is bound to the user who made the request.
    return {"table": IDEMPOTENCY, "row_id": row.id, "patient_id": row.user_id}


RECORD_COLUMNS = Sealed(
    RecordRow,
    RECORDS,
    {"title": "title_ciphertext", "content": "content_ciphertext"},
    ("key_id", "version"),
)
ANNOTATION_COLUMNS = Sealed(AnnotationRow, ANNOTATIONS, {"body": "body_ciphertext"}, ("key_id",))
# Kept versions never change, so key_id alone says the row is as it was read.
VERSION_COLUMNS = Sealed(
    RecordVersionRow,
    "health_record_version",
    {"title": "title_ciphertext", "content": "content_ciphertext"},
    ("key_id",),
    version_aad,
)
# Stored first answers to Idempotency-Keys (kept 24 h) stay under the master
# key: they belong to the caller, not to one patient's file.
IDEMPOTENCY_COLUMNS = Sealed(
    IdempotencyKeyRow, IDEMPOTENCY, {"body": "body_ciphertext"}, ("key_id",), _answer_aad
)
# Break-glass grants: the reason, sealed under the patient's data key; only
# `ended_at` ever changes, never the sealed column, so key_id says enough.
EMERGENCY_COLUMNS = Sealed(
    EmergencyAccessRow, "emergency_access", {"reason": "reason_ciphertext"}, ("key_id",)
)
# The patient files' tables, each row under its patient's data key.
FILE_TABLES = (RECORD_COLUMNS, ANNOTATION_COLUMNS, VERSION_COLUMNS, EMERGENCY_COLUMNS)


def _own_aad(table: str, row: Any) -> dict[str, Any]:
    return {"table": table, "row_id": row.id, "patient_id": row.patient_id}


def reseal(
    cipher: FieldCipher,
    sealed: Sealed,
    row: Any,
    was: WrappedKey | None,
    to: WrappedKey | None,
) -> dict[str, bytes]:
    """Every encrypted column of the row, opened with `was` (None: the row's
    master key) and sealed with `to` (None: the current master key)."""
    fresh: dict[str, bytes] = {}
    for name, column in sealed.columns.items():
        bound = sealed.aad(row) if sealed.aad else _own_aad(sealed.table, row)
        aad = {**bound, "field": name}
        plain = cipher.decrypt(getattr(row, column), key_id=row.key_id, data_key=was, **aad)
        fresh[column] = cipher.encrypt(plain, data_key=to, **aad)[1]
    return fresh
