"""One log line when the database becomes unreachable, one when it is back.

Every request during an outage answers 503; without this the log shows only
those access lines and never why. The cause is named by its type and, for a
refused connect, its errno and the address: never the driver's message, which
can quote a statement and its parameters.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from healthrecords.adapters.sqlalchemy.sqlstates import sqlstate_of

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> dict[str, Any]:
    """What an operator needs to act on, and nothing a query could have put there."""
    root: BaseException = exc
    for _ in range(4):  # SQLAlchemy's wrapper, the adapter's, the driver's
        inner = getattr(root, "orig", None) or root.__cause__
        if not isinstance(inner, BaseException):
            break
        root = inner
    cause: dict[str, Any] = {"cause": type(root).__name__}
    if isinstance(root, OSError) and root.errno is not None:
        cause["errno"] = root.errno
        cause["reason"] = os.strerror(root.errno).lower()
    if state := sqlstate_of(exc):
        cause["sqlstate"] = state
    return cause


class DatabaseOutage:
    """Shared by every unit of work of one process; `down` flips at most once each way."""

    def __init__(self, server: str = "") -> None:
        self.server = server  # host:port, no credentials
        self.down = False

    def failed(self, exc: BaseException) -> None:
        if self.down:
            return
        self.down = True
        # A warning, not an error: the outage is outside this process, and
        # errors are kept for this process's own bugs.
        log.warning(
            "database unreachable: answering 503 until it is back",
            extra={"server": self.server, **describe(exc)},
        )

    def succeeded(self) -> None:
        if self.down:
            self.down = False
            log.warning("database reachable again")
