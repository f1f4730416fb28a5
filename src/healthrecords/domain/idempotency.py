"""Idempotent retries of creating writes (the IETF draft "The Idempotency-Key
HTTP Header Field"): the first answer to a key is kept with the write and
handed back to retries instead of doing the work again."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar
from uuid import UUID

from healthrecords.domain.errors import FieldError, InvalidInput

KEY_MAX_CHARS = 255
# Long enough to outlast a client's retries over an outage of both API servers.
KEY_TTL = timedelta(hours=24)
HEADER = "Idempotency-Key"

T = TypeVar("T")


class MalformedKey(Exception):
    """An Idempotency-Key header the server will not accept (400)."""


def parse_key(raw: str) -> str:
    """The key from the header: an sf-string (quoted) or, leniently, bare text."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value or len(value) > KEY_MAX_CHARS:
        raise MalformedKey(f"must be 1 to {KEY_MAX_CHARS} characters")
    if not all(" " <= c <= "~" for c in value):
        raise MalformedKey("must be printable ASCII")
    return value


def digest(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


@dataclass(frozen=True, slots=True)
class Answer:
    """The response to hand back: status, body bytes and the headers that go with it."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    replayed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyedAnswer:
    """A stored first answer. `subject_id` names what its health data belongs
    to, so a replay re-checks that the caller may still see it."""

    user_id: UUID
    scope: str
    key_digest: str
    fingerprint: str
    answer: Answer
    subject_id: UUID | None
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Once(Generic[T]):
    """A request sent with an Idempotency-Key. The key is kept only as its
    digest; `fingerprint` is a digest of method, path and canonical body;
    `render` turns the created thing into the answer to store."""

    scope: str
    key_digest: str
    fingerprint: str
    render: Callable[[T], Answer]

    def keyed(
        self, user_id: UUID, answer: Answer, subject_id: UUID | None, now: datetime
    ) -> KeyedAnswer:
        return KeyedAnswer(
            user_id=user_id,
            scope=self.scope,
            key_digest=self.key_digest,
            fingerprint=self.fingerprint,
            answer=answer,
            subject_id=subject_id,
            created_at=now,
            expires_at=now + KEY_TTL,
        )


def key_reused() -> InvalidInput:
    return InvalidInput(
        "This Idempotency-Key was already used for a different request.",
        [FieldError(HEADER, "already used with another request body; use a new key")],
    )
