"""A per-process memory of which users (and sessions) were active, and in which
role, a moment ago.

Loading the caller's user and session rows costs every request its own
database session (checkout, BEGIN, SELECT, ROLLBACK). An answer is reused for
at most `ACTIVE_USER_SECONDS`, counted from before the rows were read, so a
deactivation or an ended session takes effect on every replica within that
bound with no messaging between them. Only active callers are remembered: a
refused caller is looked up again every time.

Keys are whatever the caller checks as a unit: (user id, session id) for
access tokens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

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
        self._entries: dict[Hashable, tuple[Role, float]] = {}

    def now(self) -> float:
        return self._monotonic()

    def role_of(self, user_id: Hashable) -> Role | None:
        """The role of a user seen active within the bound, else None."""
        entry = self._entries.get(user_id)
        if entry is None:
            return None
        role, expires = entry
        if self._monotonic() >= expires:
            del self._entries[user_id]
            return None
        return role

    def remember(self, user_id: Hashable, role: Role, read_at: float) -> None:
        """Remember an active user whose row was read at `read_at` (from `now()`)."""
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[user_id] = (role, read_at + self._ttl)
