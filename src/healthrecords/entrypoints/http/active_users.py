"""A per-process memory of which users were active, and in which role, a moment ago.

Loading the caller's user row costs every request its own database session
(checkout, BEGIN, SELECT, ROLLBACK). An answer is reused for at most
`ACTIVE_USER_SECONDS`, counted from before the row was read, so a
deactivation takes effect on every replica within that bound with no
messaging between them. Only active users are remembered: a refused caller
is looked up again every time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID

from healthrecords.domain.users import Role

ACTIVE_USER_SECONDS = 2.0
# Entries belong to callers holding a valid token, so the count is bounded by
# the number of users; the cap only bounds memory if that number is huge.
MAX_ENTRIES = 50_000


class ActiveUsers:
    def __init__(
        self,
        ttl: float = ACTIVE_USER_SECONDS,
        max_entries: int = MAX_ENTRIES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._monotonic = monotonic
        self._entries: dict[UUID, tuple[Role, float]] = {}

    def now(self) -> float:
        return self._monotonic()

    def role_of(self, user_id: UUID) -> Role | None:
        """The role of a user seen active within the bound, else None."""
        entry = self._entries.get(user_id)
        if entry is None:
            return None
        role, expires = entry
        if self._monotonic() >= expires:
            del self._entries[user_id]
            return None
        return role

    def remember(self, user_id: UUID, role: Role, read_at: float) -> None:
        """Remember an active user whose row was read at `read_at` (from `now()`)."""
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[user_id] = (role, read_at + self._ttl)
