"""Turning a patient's audit events into access-log entries, refused runs collapsed.

Between two accesses that went through (or a conflict), the refused attempts
(denied, not_found) of one actor become one entry with a count, so nobody can
push real entries off the first page by repeating refused requests. Accesses
that went through are never collapsed. The audit itself keeps every event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from healthrecords.domain.audit import AuditEvent, Outcome

REFUSED = frozenset({Outcome.DENIED, Outcome.NOT_FOUND})
# Events read for one page at most: a run longer than this is continued on the
# next page (as another entry of the same actor), so a page costs bounded work.
SCAN_LIMIT = 1000


@dataclass(slots=True)
class Entry:
    """The newest event of the entry, plus the span and size of its run."""

    newest: AuditEvent
    first_at: datetime
    count: int = 1


class Collapser:
    """Fed events newest first; collects at most `limit` entries."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self.entries: list[Entry] = []
        self._run: dict[UUID | None, Entry] = {}
        # The oldest event folded into the entries: the next page starts after it.
        self.last_consumed: AuditEvent | None = None

    def feed(self, event: AuditEvent) -> bool:
        """Take the event; False if it belongs to the next page (this one is full)."""
        if event.outcome in REFUSED and event.actor_id in self._run:
            group = self._run[event.actor_id]
            group.count += 1
            group.first_at = event.occurred_at
            self.last_consumed = event
            return True
        if len(self.entries) >= self._limit:
            return False
        entry = Entry(newest=event, first_at=event.occurred_at)
        self.entries.append(entry)
        if event.outcome in REFUSED:
            self._run[event.actor_id] = entry
        else:
            self._run.clear()
        self.last_consumed = event
        return True
