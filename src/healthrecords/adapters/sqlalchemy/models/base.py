from __future__ import annotations

from advanced_alchemy.base import UUIDBase

# Timestamps are set by the domain's clock, never by server defaults, so the
# same rows come out of PostgreSQL and SQLite.
Base = UUIDBase
