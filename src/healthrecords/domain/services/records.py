"""Use cases on health records: create, read, list, update, soft delete."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from uuid import UUID, uuid4

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import Conflict, FieldError, InvalidInput, PreconditionFailed
from healthrecords.domain.idempotency import Answer, Once
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.pagination import Cursor, Page, check_limit
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.notifications import NotificationQueue
from healthrecords.domain.ports.unit_of_work import (
    CreateWork,
    CreateWorkFactory,
    ReadWorkFactory,
    UnitOfWorkFactory,
)
from healthrecords.domain.records import (
    Record,
    RecordType,
    RecordVersion,
)
from healthrecords.domain.services import idempotent, replays
from healthrecords.domain.services.record_inputs import NewRecord, RecordChanges, check_fields
from healthrecords.domain.services.record_listing import every_file_page, listed_files
from healthrecords.domain.services.trail import (
    Target,
    audit_alone,
    audit_event,
    enforce,
    readable_record,
)
from healthrecords.domain.users import Role


class RecordService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        queue: NotificationQueue,
        reads: ReadWorkFactory | None = None,
        creates: CreateWorkFactory | None = None,
    ) -> None:
        """`reads` serves get and list, whose one write is the audit row: a single
        statement, so it may commit on its own (no BEGIN/COMMIT round trips).
        `creates` serves a create that writes only the record and its audit row."""
        self._uow = uow
        self._reads: ReadWorkFactory = reads or uow
        self._creates: CreateWorkFactory = creates or uow
        self._clock = clock
        self._queue = queue

    async def create(
        self, actor: Actor, new: NewRecord, once: Once[Record] | None = None
    ) -> Record | Answer:
        """The new record; with `once`, a retry gets the first answer instead."""
        check_fields(new.title, new.content, new.recorded_at)
        patient_id = new.patient_id
        if patient_id is None:
            if actor.role is Role.DOCTOR:
                raise InvalidInput(
                    "Doctors name the patient.", [FieldError("patient_id", "required for doctors")]
                )
            patient_id = actor.id
        now = self._clock.now()
        record = Record(
            id=uuid4(),
            patient_id=patient_id,
            author_id=actor.id,
            title=new.title,
            record_type=new.record_type,
            content=new.content,
            recorded_at=new.recorded_at or now,
            created_at=now,
            updated_at=now,
            version=1,
            updated_by=actor.id,
        )
        target = Target(action="record.create", type="record", id=record.id, patient_id=patient_id)
        if once is None and patient_id == actor.id:
            # Nobody else to notify and no key to remember: the record and its
            # audit row are the whole write.
            async with self._creates() as work:
                await self._store(work, actor, record, target, now)
                await work.commit()
            return record
        notify: list[UUID] = []
        recheck = replays.record_readable(actor, now)
        async with self._uow() as uow:
            if replayed := await idempotent.replay(uow, actor, once, recheck, now):
                return replayed
            await self._store(uow, actor, record, target, now)
            if actor.id != patient_id:
                note = await uow.notifications.add(
                    patient_id,
                    NotificationKind.RECORD_CREATED,
                    {"record_id": str(record.id), "author_id": str(actor.id)},
                    now,
                )
                notify.append(note.id)
            if not await idempotent.remember(uow, actor, once, record, record.id, now):
                assert once is not None
                return await idempotent.replay_raced(uow, actor, once, recheck, now)
            await uow.commit()
        if notify:
            await self._queue.enqueue(notify)
        return record

    @staticmethod
    async def _store(
        work: CreateWork, actor: Actor, record: Record, target: Target, now: datetime
    ) -> None:
        decision = await policy.create_record(actor, record.patient_id, work.assignments)
        await enforce(work, actor, decision, target, now)
        await work.records.add(record)
        await work.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))

    async def get(self, actor: Actor, record_id: UUID) -> Record:
        now = self._clock.now()
        async with self._reads() as uow:
            record, target = await readable_record(uow, actor, record_id, "record.read", now)
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        return record

    async def list(
        self,
        actor: Actor,
        *,
        patient_id: UUID | None = None,
        record_type: RecordType | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> Page[Record]:
        check_limit(limit)
        after = Cursor.decode(cursor) if cursor else None
        now = self._clock.now()
        async with self._reads() as uow:
            target = Target(action="record.list", type="record", patient_id=patient_id)
            if patient_id is not None:
                # The file's page and the reader's assignment fact in one read;
                # nothing of it leaves unless the policy allows it.
                fetched = await uow.records.list_for_reader(
                    patient_id, actor.id, record_type, limit + 1, after
                )
                decision = policy.list_fetched(actor, patient_id, fetched.reader_assigned)
                await enforce(uow, actor, decision, target, now)
                found = list(fetched.records)
            else:
                decision = await policy.list_records(actor, None, uow.assignments)
                await enforce(uow, actor, decision, target, now)
                found = list(await every_file_page(uow, actor, record_type, limit, after))
            items = found[:limit]
            events = [
                audit_event(actor, dataclasses.replace(target, patient_id=p), Outcome.SUCCESS, now)
                for p in listed_files(actor, patient_id, items)
            ]
            await uow.audit.add_many(events)
            await uow.commit()
        more = len(found) > limit
        next_cursor = Cursor(items[-1].recorded_at, items[-1].id).encode() if more else None
        return Page(items, next_cursor)

    async def update(
        self,
        actor: Actor,
        record_id: UUID,
        changes: RecordChanges,
        expected_version: int | None = None,
    ) -> Record:
        """Replace the editable fields; `expected_version` from If-Match, if sent."""
        check_fields(changes.title, changes.content, changes.recorded_at)
        now = self._clock.now()
        async with self._uow() as uow:
            current = await uow.records.get(record_id)
            target = Target(
                action="record.update",
                type="record",
                id=record_id,
                patient_id=current.patient_id if current else None,
            )
            decision = await policy.update_record(actor, current, uow.assignments)
            await enforce(uow, actor, decision, target, now)
            assert current is not None
            stale = PreconditionFailed("The record has changed since you read it; fetch it again.")
            if expected_version is not None and expected_version != current.version:
                await audit_alone(uow, actor, target, Outcome.CONFLICT, now)
                raise stale
            updated = dataclasses.replace(
                current,
                title=changes.title,
                record_type=changes.record_type,
                content=changes.content,
                recorded_at=changes.recorded_at or current.recorded_at,
                updated_at=now,
                version=current.version + 1,
                updated_by=actor.id,
            )
            # Compare-and-set: of concurrent writers of the same version, one wins.
            if not await uow.records.update(updated, current.version):
                await audit_alone(uow, actor, target, Outcome.CONFLICT, now)
                if expected_version is not None:
                    raise stale
                raise Conflict("The record was changed by someone else just now; try again.")
            # The compare-and-set above won, so this version is kept exactly once.
            await uow.record_versions.add(RecordVersion.of(current))
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        return updated

    async def delete(self, actor: Actor, record_id: UUID) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            record = await uow.records.get(record_id)
            target = Target(
                action="record.delete",
                type="record",
                id=record_id,
                patient_id=record.patient_id if record else None,
            )
            decision = await policy.delete_record(actor, record, uow.assignments)
            await enforce(uow, actor, decision, target, now)
            await uow.records.soft_delete(record_id, now)
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
