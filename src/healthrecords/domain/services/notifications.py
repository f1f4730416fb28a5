"""Notifications: the caller's inbox, delivery for the worker, replay for resume."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.errors import FieldError, Forbidden, InvalidInput, NotFound
from healthrecords.domain.notifications import Notification
from healthrecords.domain.pagination import Cursor, Page, check_limit
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.notifications import NotificationPublisher, NotificationQueue
from healthrecords.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

NOT_FOUND = "No such notification."
REPLAY_BATCH = 100


class NotificationService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        publisher: NotificationPublisher,
        queue: NotificationQueue,
        *,
        sweep_after: timedelta = timedelta(seconds=5),
        sweep_batch: int = 1000,
        reads: UnitOfWorkFactory | None = None,
    ) -> None:
        """`reads` serves what a socket reads (resume point, last seq, replay):
        one statement each, so without BEGIN/ROLLBACK round trips."""
        self._uow = uow
        self._reads = reads or uow
        self._clock = clock
        self._publisher = publisher
        self._queue = queue
        self._sweep_after = sweep_after
        self._sweep_batch = sweep_batch

    async def list(
        self,
        actor: Actor,
        *,
        unread_only: bool = False,
        after: UUID | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[Notification]:
        """Newest first; with `after`, everything newer than that one, oldest first.

        The cursor names the last notification served; its seq is looked up
        again for the caller, so a cursor never reaches another user's inbox.
        """
        check_limit(limit)
        async with self._uow() as uow:
            position = None
            if cursor is not None:
                position = await uow.notifications.seq_of(actor.id, Cursor.decode(cursor).id)
                if position is None:
                    raise InvalidInput(
                        "The cursor is not one this API issued.",
                        [FieldError("cursor", "invalid cursor")],
                    )
            if after is not None:
                after_seq = await self._resolve(uow, actor.id, after, "after")
                items = await uow.notifications.list_for(
                    actor.id,
                    after_seq=max(after_seq, position or 0),
                    unread_only=unread_only,
                    limit=limit + 1,
                )
            else:
                items = await uow.notifications.list_recent(
                    actor.id, before_seq=position, unread_only=unread_only, limit=limit + 1
                )
        items = list(items)
        more = len(items) > limit
        items = items[:limit]
        next_cursor = Cursor(items[-1].created_at, items[-1].id).encode() if more else None
        return Page(items, next_cursor)

    async def list_for_doctor(
        self,
        actor: Actor,
        *,
        unread_only: bool = False,
        after: UUID | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[Notification]:
        if policy.read_doctor_feed(actor) is not policy.Decision.ALLOW:
            raise Forbidden("Only doctors have a doctor's notification feed.")
        return await self.list(
            actor, unread_only=unread_only, after=after, limit=limit, cursor=cursor
        )

    async def mark_read(self, actor: Actor, notification_id: UUID) -> None:
        async with self._uow() as uow:
            found = await uow.notifications.get(notification_id)
            # Someone else's notification is as absent as a missing one.
            if found is None or found.recipient_id != actor.id:
                raise NotFound(NOT_FOUND)
            if found.read_at is None:
                await uow.notifications.mark_read(notification_id, self._clock.now())
                await uow.commit()

    async def resume_point(self, recipient_id: UUID, after: UUID | None) -> int:
        """The seq after which to replay: 0 for everything, else that notification's."""
        if after is None:
            return 0
        async with self._reads() as uow:
            return await self._resolve(uow, recipient_id, after, "after")

    async def last_seq(self, recipient_id: UUID) -> int:
        async with self._reads() as uow:
            return await uow.notifications.last_seq(recipient_id)

    async def replay(
        self, recipient_id: UUID, after_seq: int, limit: int = REPLAY_BATCH
    ) -> Sequence[Notification]:
        """The next batch of the recipient's notifications after `after_seq`, oldest first."""
        async with self._reads() as uow:
            return await uow.notifications.list_for(recipient_id, after_seq=after_seq, limit=limit)

    async def deliver(self, notification_id: UUID) -> bool:
        """Publish one stored notification and mark it delivered.

        Idempotent: a delivered or unknown id does nothing. A crash between
        publish and mark publishes it again later; sockets drop it by seq.
        """
        async with self._uow() as uow:
            found = await uow.notifications.get(notification_id)
        if found is None or found.delivered_at is not None:
            return False
        await self._publisher.publish(found)
        async with self._uow() as uow:
            await uow.notifications.mark_delivered(notification_id, self._clock.now())
            await uow.commit()
        return True

    async def sweep(self) -> int:
        """Hand undelivered notifications older than a few seconds to the queue again."""
        before = self._clock.now() - self._sweep_after
        async with self._uow() as uow:
            waiting = await uow.notifications.list_undelivered(before, self._sweep_batch)
        if waiting:
            log.info("re-enqueueing undelivered notifications", extra={"count": len(waiting)})
            await self._queue.enqueue(waiting)
        return len(waiting)

    @staticmethod
    async def _resolve(
        uow: UnitOfWork, recipient_id: UUID, notification_id: UUID, field: str
    ) -> int:
        seq = await uow.notifications.seq_of(recipient_id, notification_id)
        if seq is None:
            raise InvalidInput(
                f"{field} must be the id of one of your notifications.",
                [FieldError(field, "not one of your notifications")],
            )
        return seq
