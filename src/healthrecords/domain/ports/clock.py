from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Time source; injected so tests can move time instead of sleeping."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...
