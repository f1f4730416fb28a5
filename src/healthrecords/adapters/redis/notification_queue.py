"""NotificationQueue on SAQ (Redis): one job per notification id."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from uuid import UUID

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError
from saq import Job
from saq.queue.redis import PubSubMultiplexer, RedisQueue

log = logging.getLogger(__name__)

DELIVER_FUNCTION = "deliver_notification"
# A delivery is one read, one publish and one write: seconds, not minutes.
JOB_TIMEOUT = 5
JOB_RETRIES = 3


# How long SAQ's sweep waits for the worker of a stuck job to let it go.
STUCK_JOB_ABORT_WAIT = 0.2
# Pause of a worker slot after a failed dequeue (Redis unreachable).
DEQUEUE_RETRY_DELAY = 0.5


class NotificationRedisQueue(RedisQueue):
    """SAQ's sweep waits up to `abort` seconds (5 by default) for each stuck
    job's worker to acknowledge, one job after another: after a worker is
    killed holding 20 jobs that is 100 seconds of nothing delivered. Delivery
    is idempotent, so the sweep barely waits before retrying.

    SAQ names its keys `saq:<queue>:...` and `saq:job:<queue>:...`; here they
    all start with `<key_prefix>:` instead, so the namespace prefixes them as
    it does every other key. Only SAQ's abort markers (`saq:abort:<job key>`,
    built by the Job itself, 5 s TTL) keep SAQ's own prefix."""

    _unreachable = False

    def __init__(self, redis: Redis, name: str, key_prefix: str) -> None:
        # Set first: RedisQueue.__init__ derives its key names from namespace().
        self._key_prefix = key_prefix
        super().__init__(redis, name=name)
        # Listens for job status on the job ids, so it must share their prefix.
        self._pubsub = PubSubMultiplexer(redis.pubsub(), prefix=self.job_id("")[:-1])

    def namespace(self, key: str) -> str:
        return f"{self._key_prefix}:{super().namespace(key)}"

    def job_id(self, job_key: str) -> str:
        return f"{self._key_prefix}:{super().job_id(job_key)}"

    def job_key_from_id(self, job_id: str) -> str:
        return job_id[len(self.job_id("")) :]

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        return await super().sweep(lock, abort=min(abort, STUCK_JOB_ABORT_WAIT))

    async def dequeue(self, timeout: float = 0.0, poll_interval: float = 0.0) -> Job | None:  # noqa: ASYNC109 - SAQ signature
        # SAQ's worker swallows a failed dequeue and asks again at once: with
        # Redis down, every concurrency slot would spin on connection errors.
        try:
            job = await super().dequeue(timeout, poll_interval)
        except (RedisError, OSError) as exc:
            if not self._unreachable:
                log.warning("worker lost Redis, retrying", extra={"error": type(exc).__name__})
            self._unreachable = True
            await asyncio.sleep(DEQUEUE_RETRY_DELAY)
            return None
        if self._unreachable:
            log.info("worker reached Redis again")
            self._unreachable = False
        return job


QUEUE_NAME = "notifications"


def saq_queue(redis_url: str, namespace: str) -> RedisQueue:
    # One quick retry, not redis-py's default seconds of backoff: an enqueue
    # sits in a request's path, and the sweep covers what fails here.
    redis = Redis.from_url(
        redis_url,
        socket_connect_timeout=2,
        socket_timeout=5,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 1),
    )
    return NotificationRedisQueue(redis, name=QUEUE_NAME, key_prefix=namespace)


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
    def __init__(self, queue: RedisQueue, timeout: float = 1.0) -> None:
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
