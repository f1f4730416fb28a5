"""The notification service on memory fakes, with a recording publisher and queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID, uuid4

from healthrecords.adapters.memory.store import MemoryStore
from healthrecords.adapters.memory.unit_of_work import MemoryUnitOfWork
from healthrecords.domain.notifications import Notification, NotificationKind
from healthrecords.domain.services.notifications import NotificationService
from tests.clock import MovableClock


@dataclass
class RecordingPublisher:
    published: list[Notification] = field(default_factory=list)

    async def publish(self, notification: Notification) -> None:
        self.published.append(notification)


@dataclass
class RecordingQueue:
    enqueued: list[UUID] = field(default_factory=list)

    async def enqueue(self, notification_ids: Sequence[UUID]) -> None:
        self.enqueued.extend(notification_ids)


@dataclass
class NotificationsWorld:
    store: MemoryStore = field(default_factory=MemoryStore)
    clock: MovableClock = field(default_factory=lambda: MovableClock(datetime.now(UTC)))
    publisher: RecordingPublisher = field(default_factory=RecordingPublisher)
    queue: RecordingQueue = field(default_factory=RecordingQueue)

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store)

    @property
    def service(self) -> NotificationService:
        return NotificationService(self.uow, self.clock, self.publisher, self.queue)

    async def notify(self, recipient: UUID, count: int = 1) -> list[Notification]:
        made = []
        for _ in range(count):
            async with self.uow() as uow:
                made.append(
                    await uow.notifications.add(
                        recipient,
                        NotificationKind.ASSIGNMENT_CREATED,
                        {"assignment_id": str(uuid4())},
                        self.clock.now(),
                    )
                )
                await uow.commit()
        return made
