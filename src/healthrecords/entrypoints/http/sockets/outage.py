"""One warning per process per database outage, however many sockets hit it."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class OutageLog:
    def __init__(self) -> None:
        self._failing = False

    def failed(self, error: BaseException) -> None:
        if not self._failing:
            self._failing = True
            log.warning(
                "notification sockets cannot read the database; closing them with 1013",
                extra={"error": type(error.__cause__ or error).__name__},
            )

    def succeeded(self) -> None:
        if self._failing:
            self._failing = False
            log.info("notification sockets read the database again")


DATABASE = OutageLog()
