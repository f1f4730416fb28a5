"""The SAQ worker process (notification delivery); see the notifications issue."""

from __future__ import annotations

import sys

from healthrecords.config import Settings


def run_worker(settings: Settings) -> int:
    if not settings.redis_url:
        print("healthrecords worker needs HEALTHRECORDS_REDIS_URL", file=sys.stderr)
        return 2
    print("the notification worker is not built yet", file=sys.stderr)
    return 1
