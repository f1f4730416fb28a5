"""Plain dicts standing in for tables, for domain unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID


@dataclass
class MemoryStore:
    tables: dict[str, dict[UUID, Any]] = field(default_factory=dict)

    def table(self, name: str) -> dict[UUID, Any]:
        return self.tables.setdefault(name, {})
