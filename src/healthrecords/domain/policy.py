"""Who may do what with health records, assignments, annotations and the audit.

The one place the access rules live; every service asks it and enforces the
answer. Decisions:

- HIDDEN (404): the caller may not know the thing exists. Used for any record,
  file or assignment outside the caller's reach, so status codes never leak
  existence.
- FORBIDDEN (403): the caller sees the thing (or the route is simply not for
  its role) but may not do this.

Admins manage assignments and read the audit, but never see health data: on
record and annotation routes that name a record they get 404 like any
invisible record, and on the collection routes (list/create records) 403.
Doctors see only the files of patients with an active assignment; the check
reads the assignment on every request, so revoking it ends access at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from uuid import UUID

from healthrecords.domain.actor import Actor
from healthrecords.domain.assignments import Assignment
from healthrecords.domain.emergency import EmergencyAccess
from healthrecords.domain.ports.assignments import AssignmentFacts
from healthrecords.domain.records import FetchedRecord, Record
from healthrecords.domain.users import Role


class Decision(Enum):
    ALLOW = "allow"
    HIDDEN = "hidden"
    FORBIDDEN = "forbidden"


ALLOW, HIDDEN, FORBIDDEN = Decision.ALLOW, Decision.HIDDEN, Decision.FORBIDDEN


def sees_file_given(actor: Actor, patient_id: UUID, assigned: bool) -> bool:
    """May the caller read this patient's health data right now, given whether
    it has an active assignment to the file (read on every request)?"""
    if actor.role is Role.PATIENT:
        return actor.id == patient_id
    if actor.role is Role.DOCTOR:
        return assigned
    return False


async def sees_file(actor: Actor, patient_id: UUID, assignments: AssignmentFacts) -> bool:
    assigned = actor.role is Role.DOCTOR and (
        await assignments.get_active(actor.id, patient_id) is not None
    )
    return sees_file_given(actor, patient_id, assigned)


async def visible_files(actor: Actor, assignments: AssignmentFacts) -> Sequence[UUID]:
    """Every patient file the caller may read (empty for admins)."""
    if actor.role is Role.PATIENT:
        return [actor.id]
    if actor.role is Role.DOCTOR:
        return await assignments.assigned_files(actor.id)
    return []


def reads_files_by_assignment(actor: Actor) -> bool:
    """Is the caller's every-file read the files of its active assignments?

    True for doctors: the store reads those files with the records
    (`RecordReads.list_assigned`), each seen because assigned, as
    `sees_file_given` rules; other roles' files come from `visible_files`.
    """
    return actor.role is Role.DOCTOR


async def list_records(
    actor: Actor, patient_id: UUID | None, assignments: AssignmentFacts
) -> Decision:
    if actor.role is Role.ADMIN:
        return FORBIDDEN
    if patient_id is not None and not await sees_file(actor, patient_id, assignments):
        return HIDDEN
    return ALLOW


def list_fetched(actor: Actor, patient_id: UUID, reader_assigned: bool) -> Decision:
    """`list_records` of one file, on its page fetched with the reader's assignment fact."""
    if actor.role is Role.ADMIN:
        return FORBIDDEN
    return ALLOW if sees_file_given(actor, patient_id, reader_assigned) else HIDDEN


async def create_record(actor: Actor, patient_id: UUID, assignments: AssignmentFacts) -> Decision:
    if actor.role is Role.PATIENT:
        # Patients write only their own file, whether or not the other exists.
        return ALLOW if patient_id == actor.id else FORBIDDEN
    if actor.role is Role.DOCTOR:
        return ALLOW if await sees_file(actor, patient_id, assignments) else HIDDEN
    return FORBIDDEN


async def read_record(
    actor: Actor, record: Record | None, assignments: AssignmentFacts
) -> Decision:
    if record is None or not await sees_file(actor, record.patient_id, assignments):
        return HIDDEN
    return ALLOW


def read_fetched(actor: Actor, fetched: FetchedRecord | None) -> Decision:
    """`read_record` on a record fetched with its reader's assignment fact."""
    if fetched is None or not sees_file_given(
        actor, fetched.record.patient_id, fetched.reader_assigned
    ):
        return HIDDEN
    return ALLOW


async def update_record(
    actor: Actor, record: Record | None, assignments: AssignmentFacts
) -> Decision:
    if (seen := await read_record(actor, record, assignments)) is not ALLOW or record is None:
        return seen
    if actor.role is Role.PATIENT:
        return ALLOW
    # Doctors change only what they authored (and only while assigned: seen).
    return ALLOW if record.author_id == actor.id else FORBIDDEN


async def delete_record(
    actor: Actor, record: Record | None, assignments: AssignmentFacts
) -> Decision:
    if (seen := await read_record(actor, record, assignments)) is not ALLOW:
        return seen
    return ALLOW if actor.role is Role.PATIENT else FORBIDDEN


async def annotate(actor: Actor, record: Record | None, assignments: AssignmentFacts) -> Decision:
    if (seen := await read_record(actor, record, assignments)) is not ALLOW:
        return seen
    return ALLOW if actor.role is Role.DOCTOR else FORBIDDEN


read_annotations = read_record
# A record's earlier versions are part of the record: whoever may read it, may read them.
read_record_versions = read_record


def open_emergency_access(actor: Actor) -> Decision:
    """Break-glass is a doctor's: any doctor, assigned or not (audited, told)."""
    return ALLOW if actor.role is Role.DOCTOR else FORBIDDEN


def read_under_emergency_access(
    actor: Actor, grant: EmergencyAccess | None, now: datetime
) -> Decision:
    """Only the doctor who opened it, only while it lasts; read-only by route."""
    if grant is None or grant.doctor_id != actor.id or not grant.active(now):
        return HIDDEN
    return ALLOW


def end_emergency_access(actor: Actor, grant: EmergencyAccess | None) -> Decision:
    if grant is None:
        return HIDDEN
    if actor.role is Role.ADMIN or actor.id == grant.doctor_id:
        return ALLOW
    return HIDDEN


def list_emergency_access(actor: Actor) -> Decision:
    return ALLOW if actor.role is Role.ADMIN else FORBIDDEN


def erase_file(actor: Actor, patient_id: UUID) -> Decision:
    """Erasure: an admin any patient's file, a patient only its own (the
    service also asks for its password); never a doctor, whatever it sees."""
    if actor.role is Role.ADMIN:
        return ALLOW
    if actor.role is Role.PATIENT:
        return ALLOW if actor.id == patient_id else HIDDEN
    return FORBIDDEN


async def read_patient(actor: Actor, patient_id: UUID, assignments: AssignmentFacts) -> Decision:
    """The patient's own entry (name) is part of its file: whoever reads the file."""
    return ALLOW if await sees_file(actor, patient_id, assignments) else HIDDEN


# The patient's export (FHIR $everything): the patient its own file, an assigned
# doctor the file it reads; admins, like anyone else who does not see it, get 404.
export_file = read_patient


def read_practitioner(actor: Actor, contributed: bool) -> Decision:
    """A doctor's entry is visible to whoever sees something it wrote:
    `contributed` says it authored or annotated a live record in a file the
    caller sees (`visible_files`). Admins see no files, so no doctor this way."""
    return ALLOW if contributed and actor.role is not Role.ADMIN else HIDDEN


def create_assignment(actor: Actor, patient_id: UUID) -> Decision:
    if actor.role is Role.ADMIN:
        return ALLOW
    if actor.role is Role.PATIENT and patient_id == actor.id:
        return ALLOW
    return FORBIDDEN


def sees_assignment(actor: Actor, assignment: Assignment) -> bool:
    return actor.role is Role.ADMIN or actor.id in (assignment.patient_id, assignment.doctor_id)


def revoke_assignment(actor: Actor, assignment: Assignment | None) -> Decision:
    if assignment is None or not sees_assignment(actor, assignment):
        return HIDDEN
    if actor.role is Role.ADMIN or actor.id == assignment.patient_id:
        return ALLOW
    return FORBIDDEN


def assignment_scope(actor: Actor) -> tuple[UUID | None, UUID | None]:
    """(doctor_id, patient_id) filter of the assignments the caller may list."""
    if actor.role is Role.PATIENT:
        return None, actor.id
    if actor.role is Role.DOCTOR:
        return actor.id, None
    return None, None


def list_my_patients(actor: Actor) -> Decision:
    return ALLOW if actor.role is Role.DOCTOR else FORBIDDEN


def read_doctor_feed(actor: Actor) -> Decision:
    """`/api/doctors/notifications/` is the doctor's view of its own inbox."""
    return ALLOW if actor.role is Role.DOCTOR else FORBIDDEN


def verify_doctor(actor: Actor) -> Decision:
    """Marking a doctor account as checked is an admin's word, nobody else's."""
    return ALLOW if actor.role is Role.ADMIN else FORBIDDEN


def read_audit(actor: Actor) -> Decision:
    return ALLOW if actor.role is Role.ADMIN else FORBIDDEN


def read_access_log(actor: Actor) -> Decision:
    """Only a patient has a file whose accesses it may review: its own."""
    return ALLOW if actor.role is Role.PATIENT else FORBIDDEN
