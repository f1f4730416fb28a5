"""NotificationQueue on SAQ (Redis): one job per notification id."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from uuid import UUID

from redis.asyncio import Redis
from saq import Job
from saq.queue.redis import RedisQueue

log = logging.getLogger(__name__)

DELIVER_FUNCTION = "deliver_notification"
# A delivery is one read, one publish and one write: seconds, not minutes.
JOB_TIMEOUT = 5
JOB_RETRIES = 3


def queue_name(namespace: str) -> str:
    return f"{namespace}-notifications"


def saq_queue(redis_url: str, namespace: str) -> RedisQueue:
    redis = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    return RedisQueue(redis, name=queue_name(namespace))


def delivery_job(notification_id: UUID) -> Job:
    # The key makes a second enqueue of a waiting or running delivery a no-op,
    # so the sweep can re-enqueue freely.
    return Job(
        function=DELIVER_FUNCTION,
        key=f"deliver:{notification_id}",
        kwargs={"notification_id": str(notification_id)},
        timeout=JOB_TIMEOUT,
        retries=JOB_RETRIES,
        ttl=60,
    )


class SaqNotificationQueue:
    def __init__(self, queue: RedisQueue, timeout: float = 2.0) -> None:
        self._queue = queue
        self._timeout = timeout

    async def enqueue(self, notification_ids: Sequence[UUID]) -> None:
        """Best effort and bounded in time: the committed rows are the truth and
        the worker's sweep re-enqueues whatever did not make it to Redis."""
        try:
            async with asyncio.timeout(self._timeout):
                for notification_id in notification_ids:
                    await self._queue.enqueue(delivery_job(notification_id))
        except Exception as exc:  # never fail the caller's committed change
            log.warning(
                "could not enqueue notifications; the sweep will",
                extra={"count": len(notification_ids), "error": type(exc).__name__},
            )

    async def aclose(self) -> None:
        # Not queue.disconnect(): that unsubscribes a pub/sub connection this
        # side never opened, and so fails when Redis is down at shutdown.
        try:
            await self._queue.redis.aclose()
        except Exception as exc:
            log.warning("closing the SAQ Redis client failed", extra={"error": type(exc).__name__})
