"""Use cases on annotations: doctors' notes on the records of their patients."""

from __future__ import annotations

from uuid import UUID, uuid4

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.annotations import BODY_MAX_CHARS, Annotation
from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import FieldError, InvalidInput
from healthrecords.domain.idempotency import Answer, Once
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.pagination import DEFAULT_LIMIT, Cursor, Page, check_limit
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.notifications import NotificationQueue
from healthrecords.domain.ports.unit_of_work import UnitOfWorkFactory
from healthrecords.domain.services import idempotent, replays
from healthrecords.domain.services.trail import Target, audit_event, enforce


class AnnotationService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, queue: NotificationQueue) -> None:
        self._uow = uow
        self._clock = clock
        self._queue = queue

    async def annotate(
        self, actor: Actor, record_id: UUID, body: str, once: Once[Annotation] | None = None
    ) -> Annotation | Answer:
        """The new annotation; with `once`, a retry gets the first answer instead."""
        if not body.strip() or len(body) > BODY_MAX_CHARS:
            raise InvalidInput(
                "The annotation is not valid.",
                [FieldError("body", f"must be 1 to {BODY_MAX_CHARS} characters")],
            )
        now = self._clock.now()
        recheck = replays.annotations_readable(actor, now)
        async with self._uow() as uow:
            if replayed := await idempotent.replay(uow, actor, once, recheck, now):
                return replayed
            record = await uow.records.get(record_id)
            annotation_id = uuid4()
            target = Target(
                action="annotation.create",
                type="record",
                id=record_id,
                patient_id=record.patient_id if record else None,
            )
            decision = await policy.annotate(actor, record, uow.assignments)
            await enforce(uow, actor, decision, target, now)
            assert record is not None
            annotation = Annotation(
                id=annotation_id,
                record_id=record.id,
                patient_id=record.patient_id,
                author_id=actor.id,
                body=body,
                created_at=now,
            )
            await uow.annotations.add(annotation)
            note = await uow.notifications.add(
                record.patient_id,
                NotificationKind.ANNOTATION_CREATED,
                {"annotation_id": str(annotation.id), "record_id": str(record.id)},
                now,
            )
            target = Target(
                action=target.action,
                type="annotation",
                id=annotation.id,
                patient_id=record.patient_id,
            )
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            if not await idempotent.remember(uow, actor, once, annotation, record.id, now):
                assert once is not None
                return await idempotent.replay_raced(uow, actor, once, recheck, now)
            await uow.commit()
        await self._queue.enqueue([note.id])
        return annotation

    async def for_record(
        self,
        actor: Actor,
        record_id: UUID,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[Annotation]:
        """Oldest first (a thread reads top-down), keyset pages; audited under the patient."""
        check_limit(limit)
        after = Cursor.decode(cursor) if cursor else None
        now = self._clock.now()
        async with self._uow() as uow:
            record = await uow.records.get(record_id)
            target = Target(
                action="annotation.list",
                type="record",
                id=record_id,
                patient_id=record.patient_id if record else None,
            )
            decision = await policy.read_annotations(actor, record, uow.assignments)
            await enforce(uow, actor, decision, target, now)
            found = list(await uow.annotations.list_page(record_id, limit + 1, after))
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        items = found[:limit]
        more = len(found) > limit
        return Page(items, Cursor(items[-1].created_at, items[-1].id).encode() if more else None)
