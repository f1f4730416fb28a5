"""How the SAQ worker runs: functions, the sweep's schedule, timers."""

from __future__ import annotations

import signal

from saq import CronJob, Worker

from healthrecords.adapters.redis.mail_queue import SEND_MAIL_FUNCTION
from healthrecords.adapters.redis.notification_queue import DELIVER_FUNCTION
from healthrecords.bootstrap import Container
from healthrecords.entrypoints.worker.jobs import (
    WorkerContext,
    deliver_notification,
    purge_idempotency_keys,
    send_mail,
    sweep_notifications,
)

assert deliver_notification.__qualname__ == DELIVER_FUNCTION, "enqueued by this name"
assert send_mail.__qualname__ == SEND_MAIL_FUNCTION, "enqueued by this name"

CONCURRENCY = 20
# Every 5 seconds (croniter's sixth field is seconds).
SWEEP_CRON = "* * * * * */5"
# Every 10 minutes: expired keys only take room, they are never answered from.
PURGE_CRON = "*/10 * * * *"
TIMERS = {
    "schedule": 1,
    # SAQ's own sweep: jobs held by a worker that died go back to the queue.
    "sweep": 5,
    "abort": 1,
    "worker_info": 10,
}


class QuietWorker(Worker[WorkerContext]):
    """For running inside another program (tests): leaves signals alone."""

    SIGNALS: list[signal.Signals] = []  # noqa: RUF012 - mirrors Worker.SIGNALS


def build_worker(
    container: Container, *, handle_signals: bool = True, grace_period: int = 1
) -> Worker[WorkerContext]:
    assert container.saq_queue is not None, "the worker needs HEALTHRECORDS_REDIS_URL"

    async def startup(ctx: WorkerContext) -> None:
        ctx["container"] = container

    cls: type[Worker[WorkerContext]] = Worker if handle_signals else QuietWorker
    return cls(
        container.saq_queue,
        functions=[deliver_notification, sweep_notifications, purge_idempotency_keys, send_mail],
        cron_jobs=[
            CronJob(sweep_notifications, cron=SWEEP_CRON, timeout=30),
            CronJob(purge_idempotency_keys, cron=PURGE_CRON, timeout=60),
        ],
        concurrency=CONCURRENCY,
        startup=startup,
        timers=TIMERS,  # type: ignore[arg-type]
        # Bounded blocking dequeue, below the Redis client's socket timeout.
        dequeue_timeout=1,
        shutdown_grace_period_s=grace_period,
    )
