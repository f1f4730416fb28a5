"""At most one log line per interval for an event a client can repeat at will."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any


class Throttled:
    """Logs the first occurrence, then one line per `interval` with the count skipped."""

    def __init__(
        self,
        logger: logging.Logger,
        message: str,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.message = message
        self.interval = interval
        self.clock = clock
        self.last = float("-inf")
        self.suppressed = 0

    def __call__(self, level: int = logging.WARNING, **extra: Any) -> None:
        now = self.clock()
        if now - self.last < self.interval:
            self.suppressed += 1
            return
        self.logger.log(
            level,
            self.message,
            extra={**extra, "suppressed": self.suppressed, "interval_s": self.interval},
        )
        self.last, self.suppressed = now, 0
