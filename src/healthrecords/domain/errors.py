"""Errors the domain raises; entrypoints map each to one HTTP status.

Messages are shown to clients, so they never carry health data, passwords or
tokens: only identifiers the caller already knows and fixed text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The thing does not exist or the caller may not know that it does."""


class Forbidden(DomainError):
    """The caller sees the thing but may not do this to it."""


class Conflict(DomainError):
    """The change clashes with what is stored (duplicate, already done)."""


class PreconditionFailed(DomainError):
    """The caller's If-Match names a version that is no longer current."""


class InvalidInput(DomainError):
    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


class AuthenticationFailed(DomainError):
    """Credentials or token missing, wrong, expired or revoked."""


class TooManyAttempts(DomainError):
    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A backing service (database, queue) cannot be reached right now."""


class StoredDataUnreadable(DomainError):
    """Stored health data failed to decrypt (tampered, moved or unknown key)."""
