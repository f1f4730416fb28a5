"""Reads of a patient file as a whole: its patient, its records with their
annotations, the doctors who wrote them, and the export of all of it.

Behind the FHIR view (entrypoints/http/fhir/). The same policy as the REST
routes decides (domain/policy.py), and every read of a file writes one audit
event under its patient, so it shows in the patient's access log.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.annotations import Annotation
from healthrecords.domain.audit import Outcome
from healthrecords.domain.pagination import Cursor, Page, check_limit
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.services.trail import (
    Target,
    audit_event,
    deny,
    enforce,
    readable_record,
)
from healthrecords.domain.users import Role, User


@dataclass(frozen=True, slots=True)
class AnnotatedRecord:
    record: Record
    annotations: Sequence[Annotation]


@dataclass(frozen=True, slots=True, kw_only=True)
class FilePage:
    """One page of a file's export: the patient on the first page only, the
    records newest first, and the doctors those records and notes name."""

    patient: User | None
    records: list[AnnotatedRecord]
    doctors: list[User]
    next_cursor: str | None


class PatientFileService:
    def __init__(self, reads: UnitOfWorkFactory, clock: Clock) -> None:
        """`reads`: units of work whose one write is the audit row (see RecordService)."""
        self._reads = reads
        self._clock = clock

    async def patient(self, actor: Actor, patient_id: UUID) -> User:
        now = self._clock.now()
        target = Target(action="fhir.read", type="patient", id=patient_id, patient_id=patient_id)
        async with self._reads() as uow:
            decision = await policy.read_patient(actor, patient_id, uow.assignments)
            await enforce(uow, actor, decision, target, now)
            return await _person(uow, actor, target, now, patient_id, Role.PATIENT)

    async def practitioner(self, actor: Actor, doctor_id: UUID) -> User:
        """Not a read of any one file: audited under no patient."""
        now = self._clock.now()
        target = Target(action="fhir.read", type="practitioner", id=doctor_id)
        async with self._reads() as uow:
            files = await policy.visible_files(actor, uow.assignments)
            contributed = bool(files) and await uow.contributions.contributed(doctor_id, files)
            await enforce(uow, actor, policy.read_practitioner(actor, contributed), target, now)
            return await _person(uow, actor, target, now, doctor_id, Role.DOCTOR)

    async def record(
        self, actor: Actor, record_id: UUID, types: Collection[RecordType]
    ) -> AnnotatedRecord:
        """The record with its annotations; 404 unless it is one of `types`
        (an Observation id never names a Condition)."""
        now = self._clock.now()
        async with self._reads() as uow:
            record, target = await readable_record(uow, actor, record_id, "fhir.read", now)
            if record.record_type not in types:
                await deny(uow, actor, policy.HIDDEN, target, now)
            notes = await uow.annotations.list_for_record(record_id)
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        return AnnotatedRecord(record, notes)

    async def search(
        self,
        actor: Actor,
        patient_id: UUID,
        types: Collection[RecordType],
        limit: int,
        cursor: str | None,
    ) -> Page[AnnotatedRecord]:
        """One file's records of `types` (none: an empty page), newest first, keyset pages."""
        check_limit(limit)
        after = Cursor.decode(cursor) if cursor else None
        now = self._clock.now()
        target = Target(action="fhir.search", type="record", patient_id=patient_id)
        async with self._reads() as uow:
            decision = await policy.list_records(actor, patient_id, uow.assignments)
            await enforce(uow, actor, decision, target, now)
            found = await _records(uow, patient_id, types, limit + 1, after)
            records = await _annotated(uow, found[:limit])
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        return Page(records, _next(found, limit))

    async def everything(
        self, actor: Actor, patient_id: UUID, limit: int, cursor: str | None
    ) -> FilePage:
        """The patient's export, `limit` records a page."""
        check_limit(limit)
        after = Cursor.decode(cursor) if cursor else None
        now = self._clock.now()
        target = Target(
            action="fhir.everything", type="patient", id=patient_id, patient_id=patient_id
        )
        async with self._reads() as uow:
            decision = await policy.export_file(actor, patient_id, uow.assignments)
            await enforce(uow, actor, decision, target, now)
            patient = await uow.users.get(patient_id) if after is None else None
            found = await _records(uow, patient_id, None, limit + 1, after)
            records = await _annotated(uow, found[:limit])
            doctors = await _doctors(uow, records)
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        return FilePage(
            patient=patient, records=records, doctors=doctors, next_cursor=_next(found, limit)
        )


async def _person(
    uow: UnitOfWork, actor: Actor, target: Target, now: datetime, user_id: UUID, role: Role
) -> User:
    """The user, audited as read; hidden unless they hold `role` (an id names one kind only)."""
    user = await uow.users.get(user_id)
    if user is None or user.role is not role:
        await deny(uow, actor, policy.HIDDEN, target, now)
    await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
    await uow.commit()
    return user


async def _records(
    uow: UnitOfWork,
    patient_id: UUID,
    types: Collection[RecordType] | None,
    limit: int,
    after: Cursor | None,
) -> list[Record]:
    """Newest first; `types` None for all. Several types are one keyset page
    per type merged: each is sorted the same way, so the first `limit` of the
    merge are exactly the first `limit` of the union."""
    if types is None or len(types) == 1:
        only = next(iter(types), None) if types is not None else None
        return list(await uow.records.list([patient_id], only, limit, after))
    pages = [await uow.records.list([patient_id], t, limit, after) for t in sorted(types)]
    merged = heapq.merge(*pages, key=lambda r: (r.recorded_at, r.id), reverse=True)
    return list(itertools.islice(merged, limit))


async def _annotated(uow: UnitOfWork, records: Sequence[Record]) -> list[AnnotatedRecord]:
    notes: dict[UUID, list[Annotation]] = {r.id: [] for r in records}
    if records:
        for note in await uow.annotations.list_for_records(list(notes)):
            notes[note.record_id].append(note)
    return [AnnotatedRecord(r, notes[r.id]) for r in records]


async def _doctors(uow: UnitOfWork, records: Sequence[AnnotatedRecord]) -> list[User]:
    """The doctors who authored or annotated these records, in first-named order."""
    named = dict.fromkeys(
        itertools.chain.from_iterable(
            [
                *([] if r.record.author_id == r.record.patient_id else [r.record.author_id]),
                *(a.author_id for a in r.annotations),
            ]
            for r in records
        )
    )
    found = [await uow.users.get(person) for person in named]
    return [u for u in found if u is not None and u.role is Role.DOCTOR]


def _next(found: Sequence[Record], limit: int) -> str | None:
    if len(found) <= limit:
        return None
    last = found[limit - 1]
    return Cursor(last.recorded_at, last.id).encode()
