"""A small in-memory world for the record-side services: users, clock, queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from healthrecords.adapters.memory.store import MemoryStore
from healthrecords.adapters.memory.unit_of_work import MemoryUnitOfWork
from healthrecords.domain.actor import Actor, RequestContext
from healthrecords.domain.audit import AuditEvent
from healthrecords.domain.notifications import Notification
from healthrecords.domain.services.annotations import AnnotationService
from healthrecords.domain.services.assignments import AssignmentService
from healthrecords.domain.services.audit import AuditService
from healthrecords.domain.services.records import RecordService
from healthrecords.domain.users import Role, User


class SteppingClock:
    """Every reading is one millisecond after the previous one."""

    def __init__(self) -> None:
        self._now = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self._now += timedelta(milliseconds=1)
        return self._now


@dataclass
class RecordingQueue:
    enqueued: list[UUID] = field(default_factory=list)

    async def enqueue(self, notification_ids: Sequence[UUID]) -> None:
        self.enqueued.extend(notification_ids)


@dataclass
class World:
    store: MemoryStore = field(default_factory=MemoryStore)
    clock: SteppingClock = field(default_factory=SteppingClock)
    queue: RecordingQueue = field(default_factory=RecordingQueue)

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store)

    @property
    def records(self) -> RecordService:
        return RecordService(self.uow, self.clock, self.queue)

    @property
    def assignments(self) -> AssignmentService:
        return AssignmentService(self.uow, self.clock, self.queue)

    @property
    def annotations(self) -> AnnotationService:
        return AnnotationService(self.uow, self.clock, self.queue)

    @property
    def audit(self) -> AuditService:
        return AuditService(self.uow, self.clock)

    def user(self, role: Role, name: str = "Someone") -> Actor:
        now = self.clock.now()
        user = User(
            id=uuid4(),
            email=f"{uuid4().hex}@example.test",
            full_name=name,
            role=role,
            is_active=True,
            password_hash="x",
            created_at=now,
            updated_at=now,
        )
        self.store.table("users")[user.id] = user
        return Actor(id=user.id, role=role, context=RequestContext(request_id="req-1"))

    def audit_events(self) -> list[AuditEvent]:
        events: list[AuditEvent] = list(self.store.table("audit").values())
        return sorted(events, key=lambda e: e.occurred_at)

    def notifications(self) -> list[Notification]:
        found: list[Notification] = list(self.store.table("notifications").values())
        return sorted(found, key=lambda n: n.created_at)
