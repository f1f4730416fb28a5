"""Request and response bodies of the records, assignments, annotations and audit routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from healthrecords.domain.annotations import BODY_MAX_CHARS, Annotation
from healthrecords.domain.assignments import Assignment
from healthrecords.domain.audit import AuditEvent
from healthrecords.domain.records import CONTENT_MAX_BYTES, TITLE_MAX_CHARS, Record, RecordType
from healthrecords.domain.services.assignments import AssignedPatient

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_MAX_CHARS)]
# A character bound here; the domain checks the UTF-8 byte size (64 KiB).
Content = Annotated[str, msgspec.Meta(max_length=CONTENT_MAX_BYTES)]
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=BODY_MAX_CHARS)]
AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]


class RecordIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    record_type: RecordType
    content: Content
    recorded_at: AwareTime | None = None
    # Doctors name the patient; patients may omit it (or give their own id).
    patient_id: UUID | None = None


class RecordUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    record_type: RecordType
    content: Content
    recorded_at: AwareTime | None = None


class RecordOut(msgspec.Struct):
    id: UUID
    patient_id: UUID
    author_id: UUID
    title: str
    record_type: RecordType
    content: str
    recorded_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int
    # Who made this version: the author until someone else changed it.
    updated_by: UUID

    @classmethod
    def of(cls, r: Record) -> RecordOut:
        return cls(
            r.id,
            r.patient_id,
            r.author_id,
            r.title,
            r.record_type,
            r.content,
            r.recorded_at,
            r.created_at,
            r.updated_at,
            r.version,
            r.updated_by or r.author_id,
        )


class RecordPage(msgspec.Struct):
    items: list[RecordOut]
    next_cursor: str | None


class AnnotationIn(msgspec.Struct, forbid_unknown_fields=True):
    record_id: UUID
    body: Body


class AnnotationOut(msgspec.Struct):
    id: UUID
    record_id: UUID
    patient_id: UUID
    author_id: UUID
    body: str
    created_at: datetime

    @classmethod
    def of(cls, a: Annotation) -> AnnotationOut:
        return cls(a.id, a.record_id, a.patient_id, a.author_id, a.body, a.created_at)


class AnnotationPage(msgspec.Struct):
    items: list[AnnotationOut]
    next_cursor: str | None


class AssignmentIn(msgspec.Struct, forbid_unknown_fields=True):
    doctor_id: UUID
    # Admins only: patients always assign to themselves.
    patient_id: UUID | None = None


class AssignmentOut(msgspec.Struct):
    id: UUID
    doctor_id: UUID
    patient_id: UUID
    assigned_by: UUID
    created_at: datetime
    active: bool
    revoked_at: datetime | None
    revoked_by: UUID | None
    # Whether an admin has verified the doctor's account (PATCH /api/users/{id}/).
    doctor_verified: bool

    @classmethod
    def of(cls, a: Assignment, doctor_verified: bool) -> AssignmentOut:
        return cls(
            a.id,
            a.doctor_id,
            a.patient_id,
            a.assigned_by,
            a.created_at,
            a.active,
            a.revoked_at,
            a.revoked_by,
            doctor_verified,
        )


class AssignmentPage(msgspec.Struct):
    items: list[AssignmentOut]
    next_cursor: str | None


class AssignedPatientOut(msgspec.Struct):
    id: UUID
    full_name: str
    assignment_id: UUID
    assigned_at: datetime

    @classmethod
    def of(cls, p: AssignedPatient) -> AssignedPatientOut:
        return cls(p.id, p.full_name, p.assignment_id, p.assigned_at)


class AuditEventOut(msgspec.Struct):
    id: UUID
    occurred_at: datetime
    actor_id: UUID | None
    actor_role: str | None
    action: str
    target_type: str
    target_id: UUID | None
    patient_id: UUID | None
    outcome: str
    request_id: str
    client_address: str | None

    @classmethod
    def of(cls, e: AuditEvent) -> AuditEventOut:
        return cls(
            e.id,
            e.occurred_at,
            e.actor_id,
            e.actor_role,
            e.action,
            e.target_type,
            e.target_id,
            e.patient_id,
            e.outcome.value,
            e.request_id,
            e.client_address,
        )


class AuditPage(msgspec.Struct):
    items: list[AuditEventOut]
    next_cursor: str | None
