"""Keyset pages and the opaque cursors that point into them."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from healthrecords.domain.errors import FieldError, InvalidInput
from healthrecords.domain.instants import instant_problem

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Position after the last item served: its sort key and id."""

    at: datetime
    id: UUID

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            at, ident = json.loads(raw)
            if not isinstance(at, str) or not isinstance(ident, str):
                raise TypeError("a cursor holds two strings")
            cursor = cls(datetime.fromisoformat(at), UUID(ident))
        except (ValueError, TypeError, binascii.Error) as exc:
            raise _not_ours() from exc
        # Cursors are ours, so a naive or unrepresentable time means a forged one.
        if instant_problem(cursor.at) is not None:
            raise _not_ours()
        return cursor


def _not_ours() -> InvalidInput:
    return InvalidInput(
        "The cursor is not one this API issued.", [FieldError("cursor", "invalid cursor")]
    )


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"limit must be between 1 and {MAX_LIMIT}.",
            [FieldError("limit", f"must be between 1 and {MAX_LIMIT}")],
        )
    return limit
