"""PostgreSQL's own word that it cannot serve now: SQLSTATEs worth a 503.

asyncpg raises these as plain errors carrying a SQLSTATE, not as connection
errors, and SQLAlchemy wraps them in a generic DBAPIError, so they are
recognised by code. Each is a server state that passes (recovery, restart,
failover, load), so the same request later may well succeed.
"""

from __future__ import annotations

# Whole classes: 08 connection exception, 53 insufficient resources (53300 too
# many connections, 53100 disk full, 53200 out of memory, 53400 limits).
CANNOT_SERVE_NOW_CLASSES = ("08", "53")
CANNOT_SERVE_NOW = frozenset(
    {
        "57P01",  # admin_shutdown: the server is shutting down
        "57P02",  # crash_shutdown: another backend crashed; all are reset
        "57P03",  # cannot_connect_now: starting up or in crash recovery
        "57P05",  # idle_session_timeout: the server closed an idle session
        "25006",  # read_only_sql_transaction: connected to a standby mid-failover
    }
)


def sqlstate_of(exc: BaseException) -> str:
    """The SQLSTATE of a driver error, under SQLAlchemy's wrapper or not; "" if none."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            break
        orig = getattr(seen, "orig", None)
        code = getattr(seen, "sqlstate", None) or getattr(orig, "sqlstate", None)
        if isinstance(code, str) and code:
            return code
        seen = seen.__cause__
    return ""


def cannot_serve_now(exc: BaseException) -> bool:
    code = sqlstate_of(exc)
    return code in CANNOT_SERVE_NOW or code[:2] in CANNOT_SERVE_NOW_CLASSES
