"""The cursor side of a keyset comparison, typed like the columns it meets."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import Tuple

from healthrecords.domain.pagination import Cursor


def after_key(
    cursor: Cursor, at: InstrumentedAttribute[datetime], ident: InstrumentedAttribute[UUID]
) -> Tuple:
    # Untyped tuple_ values bind as plain DATETIME/CHAR; on SQLite that compares
    # a string with the stored UTC text and blob GUIDs, and pages skip rows.
    values: list[Any] = [literal(cursor.at, at.type), literal(cursor.id, ident.type)]
    return tuple_(*values)
