"""The read use cases' work on the asyncpg pool (domain/ports/unit_of_work.py, ReadWork).

No transaction: a read's only write is its audit row, one statement that
commits on its own before the service returns the data, so commit and
rollback have nothing to do. Each statement draws a pooled connection and
hands it back at once, so no connection is held while the service works.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from healthrecords.adapters.asyncpg.records import DirectAssignmentFacts, DirectRecordReads
from healthrecords.domain.ports.audit import AuditTrail


class DirectReadWork:
    def __init__(
        self, records: DirectRecordReads, assignments: DirectAssignmentFacts, audit: AuditTrail
    ) -> None:
        self.records = records
        self.assignments = assignments
        self.audit = audit

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        """Every statement has committed on its own already."""

    async def rollback(self) -> None:
        """Nothing was written but audit rows, which are never taken back."""
