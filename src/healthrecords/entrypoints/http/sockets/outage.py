"""One warning per process per database outage, however many sockets hit it."""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

# A flapping database (or a pool timing out under a burst) would otherwise
# warn at every recovery and failure.
QUIET_SECONDS = 60.0


class OutageLog:
    def __init__(self) -> None:
        self._failing = False
        self._warned_at: float | None = None

    def failed(self, error: BaseException) -> None:
        if self._failing:
            return
        self._failing = True
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= QUIET_SECONDS:
            self._warned_at = now
            log.warning(
                "notification sockets cannot read the database; closing them with 1013",
                extra={"error": type(error.__cause__ or error).__name__},
            )

    def succeeded(self) -> None:
        if self._failing:
            self._failing = False
            log.info("notification sockets read the database again")


DATABASE = OutageLog()
