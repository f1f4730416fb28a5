"""`healthrecords worker`: the SAQ worker that delivers notifications.

SAQ installs its own SIGINT/SIGTERM handlers: on either it stops taking jobs,
lets running ones finish (grace period) and returns; we then close the
container. A job of a worker killed outright is swept back by SAQ, and rows
never enqueued are re-enqueued by the sweep job.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from healthrecords.bootstrap import build_container
from healthrecords.config import Settings
from healthrecords.entrypoints.worker.settings import build_worker

log = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    container = build_container(settings)
    worker = build_worker(container)
    try:
        assert container.saq_queue is not None
        # Fail at start, in one line (cli.py), when Redis is not there at all:
        # once running, the worker rides out outages instead.
        async with asyncio.timeout(10):
            await container.saq_queue.redis.ping()
        await container.saq_queue.connect()
        log.info("notification worker started", extra={"queue": container.saq_queue.name})
        await worker.start()
    finally:
        await container.aclose()
        log.info("notification worker stopped")


def run_worker(settings: Settings) -> int:
    if not settings.redis_url:
        print("healthrecords worker needs HEALTHRECORDS_REDIS_URL", file=sys.stderr)
        return 2
    asyncio.run(serve(settings))
    return 0
