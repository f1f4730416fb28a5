"""SAQ jobs: thin calls into the notification service and the mailer."""

from __future__ import annotations

from uuid import UUID

from saq.types import Context

from healthrecords.adapters.redis.mail_queue import unseal
from healthrecords.bootstrap import Container


class WorkerContext(Context, total=False):
    container: Container


def _container(ctx: WorkerContext) -> Container:
    return ctx["container"]


async def deliver_notification(ctx: WorkerContext, *, notification_id: str) -> bool:
    """Publish one notification on its recipient's channel; idempotent."""
    return await _container(ctx).notifications.deliver(UUID(notification_id))


async def sweep_notifications(ctx: WorkerContext) -> int:
    """Re-enqueue notifications left undelivered (Redis was down, a worker died)."""
    return await _container(ctx).notifications.sweep()


async def purge_idempotency_keys(ctx: WorkerContext) -> int:
    """Delete Idempotency-Keys past their 24 hours."""
    return await _container(ctx).expired_keys.purge()


async def send_mail(ctx: WorkerContext, *, mail_id: str, key_id: str, sealed: str) -> None:
    """Send one queued mail; SAQ retries it with backoff when the server fails."""
    container = _container(ctx)
    await container.mailer.send(unseal(container.cipher, key_id, sealed, mail_id))
