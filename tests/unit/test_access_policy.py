"""The access policy on its own: every decision for every kind of caller."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from healthrecords.adapters.memory.assignments import MemoryAssignmentRepository
from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.assignments import Assignment
from healthrecords.domain.policy import Decision
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.users import Role

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ALLOW, HIDDEN, FORBIDDEN = Decision.ALLOW, Decision.HIDDEN, Decision.FORBIDDEN

patient = Actor(id=uuid4(), role=Role.PATIENT)
other_patient = Actor(id=uuid4(), role=Role.PATIENT)
doctor = Actor(id=uuid4(), role=Role.DOCTOR)
stranger_doctor = Actor(id=uuid4(), role=Role.DOCTOR)
revoked_doctor = Actor(id=uuid4(), role=Role.DOCTOR)
admin = Actor(id=uuid4(), role=Role.ADMIN)


def record(author: Actor) -> Record:
    return Record(
        id=uuid4(),
        patient_id=patient.id,
        author_id=author.id,
        title="t",
        record_type=RecordType.NOTE,
        content="c",
        recorded_at=NOW,
        created_at=NOW,
        updated_at=NOW,
        version=1,
    )


@pytest.fixture
def assignments() -> MemoryAssignmentRepository:
    rows = {}
    active = Assignment(
        id=uuid4(),
        doctor_id=doctor.id,
        patient_id=patient.id,
        assigned_by=patient.id,
        created_at=NOW,
    )
    revoked = Assignment(
        id=uuid4(),
        doctor_id=revoked_doctor.id,
        patient_id=patient.id,
        assigned_by=patient.id,
        created_at=NOW,
        revoked_at=NOW,
        revoked_by=patient.id,
    )
    rows[active.id] = active
    rows[revoked.id] = revoked
    return MemoryAssignmentRepository(rows)


CALLERS = [patient, other_patient, doctor, stranger_doctor, revoked_doctor, admin]


@pytest.mark.parametrize(
    ("caller", "read", "update_own", "update_doctors", "delete", "annotate"),
    [
        (patient, ALLOW, ALLOW, ALLOW, ALLOW, FORBIDDEN),
        (other_patient, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
        (doctor, ALLOW, FORBIDDEN, ALLOW, FORBIDDEN, ALLOW),
        (stranger_doctor, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
        (revoked_doctor, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
        (admin, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ],
)
async def test_record_decisions(
    assignments: MemoryAssignmentRepository,
    caller: Actor,
    read: Decision,
    update_own: Decision,
    update_doctors: Decision,
    delete: Decision,
    annotate: Decision,
) -> None:
    by_patient, by_doctor = record(patient), record(doctor)
    assert await policy.read_record(caller, by_patient, assignments) is read
    assert await policy.read_annotations(caller, by_patient, assignments) is read
    assert await policy.update_record(caller, by_patient, assignments) is update_own
    assert await policy.update_record(caller, by_doctor, assignments) is update_doctors
    assert await policy.delete_record(caller, by_patient, assignments) is delete
    assert await policy.annotate(caller, by_patient, assignments) is annotate


@pytest.mark.parametrize("caller", CALLERS)
async def test_a_missing_record_is_hidden_from_everyone(
    assignments: MemoryAssignmentRepository, caller: Actor
) -> None:
    assert await policy.read_record(caller, None, assignments) is HIDDEN
    assert await policy.update_record(caller, None, assignments) is HIDDEN
    assert await policy.delete_record(caller, None, assignments) is HIDDEN


@pytest.mark.parametrize(
    ("caller", "create", "list_file", "list_all"),
    [
        (patient, ALLOW, ALLOW, ALLOW),
        (other_patient, FORBIDDEN, HIDDEN, ALLOW),
        (doctor, ALLOW, ALLOW, ALLOW),
        (stranger_doctor, HIDDEN, HIDDEN, ALLOW),
        (revoked_doctor, HIDDEN, HIDDEN, ALLOW),
        (admin, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    ],
)
async def test_file_level_decisions(
    assignments: MemoryAssignmentRepository,
    caller: Actor,
    create: Decision,
    list_file: Decision,
    list_all: Decision,
) -> None:
    assert await policy.create_record(caller, patient.id, assignments) is create
    assert await policy.list_records(caller, patient.id, assignments) is list_file
    assert await policy.list_records(caller, None, assignments) is list_all


async def test_visible_files(assignments: MemoryAssignmentRepository) -> None:
    assert await policy.visible_files(patient, assignments) == [patient.id]
    assert await policy.visible_files(doctor, assignments) == [patient.id]
    assert await policy.visible_files(revoked_doctor, assignments) == []
    assert await policy.visible_files(admin, assignments) == []


def test_only_doctors_read_every_file_by_assignment() -> None:
    # Their files are those visible_files gives them: the active assignments.
    assert policy.reads_files_by_assignment(doctor)
    assert policy.reads_files_by_assignment(revoked_doctor)
    assert not policy.reads_files_by_assignment(patient)
    assert not policy.reads_files_by_assignment(admin)


def test_assignment_decisions() -> None:
    a = Assignment(
        id=uuid4(),
        doctor_id=doctor.id,
        patient_id=patient.id,
        assigned_by=patient.id,
        created_at=NOW,
    )
    assert policy.create_assignment(patient, patient.id) is ALLOW
    assert policy.create_assignment(patient, other_patient.id) is FORBIDDEN
    assert policy.create_assignment(doctor, patient.id) is FORBIDDEN
    assert policy.create_assignment(admin, patient.id) is ALLOW
    assert policy.revoke_assignment(patient, a) is ALLOW
    assert policy.revoke_assignment(admin, a) is ALLOW
    assert policy.revoke_assignment(doctor, a) is FORBIDDEN
    assert policy.revoke_assignment(other_patient, a) is HIDDEN
    assert policy.revoke_assignment(stranger_doctor, a) is HIDDEN
    assert policy.revoke_assignment(admin, None) is HIDDEN
    assert policy.assignment_scope(patient) == (None, patient.id)
    assert policy.assignment_scope(doctor) == (doctor.id, None)
    assert policy.assignment_scope(admin) == (None, None)


@pytest.mark.parametrize("caller", CALLERS)
def test_role_routes(caller: Actor) -> None:
    is_doctor = caller.role is Role.DOCTOR
    assert (policy.list_my_patients(caller) is ALLOW) == is_doctor
    assert (policy.read_audit(caller) is ALLOW) == (caller.role is Role.ADMIN)


def test_erasure_decisions() -> None:
    """An admin erases any file, a patient only its own, a doctor never."""
    decide = policy.erase_file
    assert decide(admin, patient.id) is ALLOW
    assert decide(patient, patient.id) is ALLOW
    assert decide(other_patient, patient.id) is HIDDEN
    assert decide(doctor, patient.id) is FORBIDDEN
    assert decide(stranger_doctor, patient.id) is FORBIDDEN


def test_emergency_access_decisions() -> None:
    """Any doctor opens one; only its doctor reads under it while it lasts."""
    from datetime import timedelta

    from healthrecords.domain.emergency import EmergencyAccess

    assert policy.open_emergency_access(stranger_doctor) is ALLOW
    for caller in (patient, admin):
        assert policy.open_emergency_access(caller) is FORBIDDEN
    grant = EmergencyAccess(
        id=uuid4(),
        doctor_id=stranger_doctor.id,
        patient_id=patient.id,
        reason="r" * 20,
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=60),
    )
    read = policy.read_under_emergency_access
    assert read(stranger_doctor, grant, NOW) is ALLOW
    assert read(stranger_doctor, grant, NOW + timedelta(minutes=60)) is HIDDEN
    assert read(doctor, grant, NOW) is HIDDEN
    assert read(patient, grant, NOW) is HIDDEN
    assert read(stranger_doctor, None, NOW) is HIDDEN
    ended = dataclasses.replace(grant, ended_at=NOW)
    assert read(stranger_doctor, ended, NOW) is HIDDEN
    assert policy.end_emergency_access(stranger_doctor, grant) is ALLOW
    assert policy.end_emergency_access(admin, grant) is ALLOW
    assert policy.end_emergency_access(doctor, grant) is HIDDEN
    assert policy.list_emergency_access(admin) is ALLOW
    assert policy.list_emergency_access(stranger_doctor) is FORBIDDEN
