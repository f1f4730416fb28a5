"""Record, assignment, annotation and audit services on the in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import Forbidden, InvalidInput, NotFound, PreconditionFailed
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.records import RecordType
from healthrecords.domain.services.audit import AuditQuery
from healthrecords.domain.services.record_inputs import NewRecord, RecordChanges
from healthrecords.domain.users import Role
from tests.unit.records_world import World


def new(title: str = "Blood pressure", **extra: object) -> NewRecord:
    return NewRecord(title=title, record_type=RecordType.VITAL_SIGN, content="120/80", **extra)  # type: ignore[arg-type]


def changes(title: str = "Changed") -> RecordChanges:
    return RecordChanges(title=title, record_type=RecordType.NOTE, content="new")


async def test_a_patient_creates_reads_and_lists_its_own_records() -> None:
    w = World()
    patient = w.user(Role.PATIENT)
    created = await w.records.create(patient, new())
    assert created.patient_id == patient.id
    assert created.author_id == patient.id
    assert created.version == 1
    assert (await w.records.get(patient, created.id)).title == "Blood pressure"
    page = await w.records.list(patient)
    assert [r.id for r in page.items] == [created.id]
    # A patient's own record notifies nobody.
    assert w.notifications() == []
    assert [e.action for e in w.audit_events()] == ["record.create", "record.read", "record.list"]


async def test_recorded_at_defaults_to_now_and_keeps_a_given_time() -> None:
    w = World()
    patient = w.user(Role.PATIENT)
    default = await w.records.create(patient, new())
    assert default.recorded_at == default.created_at
    past = datetime(2020, 5, 1, tzinfo=UTC)
    assert (await w.records.create(patient, new(recorded_at=past))).recorded_at == past


@pytest.mark.parametrize(
    ("title", "content", "field"),
    [
        ("", "x", "title"),
        ("   ", "x", "title"),
        ("x" * 201, "x", "title"),
        ("ok", "é" * 40_000, "content"),
    ],
)
async def test_invalid_records_are_refused(title: str, content: str, field: str) -> None:
    w = World()
    patient = w.user(Role.PATIENT)
    with pytest.raises(InvalidInput) as caught:
        await w.records.create(
            patient, NewRecord(title=title, record_type=RecordType.NOTE, content=content)
        )
    assert [e.field for e in caught.value.errors] == [field]
    assert w.store.table("records") == {}


async def test_a_doctor_needs_an_active_assignment_and_notifies_the_patient() -> None:
    w = World()
    patient, doctor = w.user(Role.PATIENT), w.user(Role.DOCTOR)
    with pytest.raises(NotFound):
        await w.records.create(doctor, new(patient_id=patient.id))
    assigned = await w.assignments.assign(patient, doctor.id)
    assert assigned.created
    record = await w.records.create(doctor, new(patient_id=patient.id))
    assert record.author_id == doctor.id
    kinds = [(n.recipient_id, n.kind) for n in w.notifications()]
    assert kinds == [
        (doctor.id, NotificationKind.ASSIGNMENT_CREATED),
        (patient.id, NotificationKind.RECORD_CREATED),
    ]
    assert w.notifications()[1].payload == {
        "record_id": str(record.id),
        "author_id": str(doctor.id),
    }
    assert w.queue.enqueued == [n.id for n in w.notifications()]


async def test_a_doctor_must_name_the_patient() -> None:
    w = World()
    doctor = w.user(Role.DOCTOR)
    with pytest.raises(InvalidInput):
        await w.records.create(doctor, new())


async def test_revoking_ends_a_doctors_access_at_once() -> None:
    w = World()
    patient, doctor = w.user(Role.PATIENT), w.user(Role.DOCTOR)
    assigned = await w.assignments.assign(patient, doctor.id)
    record = await w.records.create(doctor, new(patient_id=patient.id))
    await w.assignments.revoke(patient, assigned.assignment.id)
    with pytest.raises(NotFound):
        await w.records.get(doctor, record.id)
    with pytest.raises(NotFound):
        await w.records.update(doctor, record.id, changes())
    assert (await w.records.list(doctor)).items == []
    assert w.notifications()[-1].kind is NotificationKind.ASSIGNMENT_REVOKED


async def test_denied_attempts_are_audited_and_change_nothing() -> None:
    w = World()
    patient, other = w.user(Role.PATIENT), w.user(Role.PATIENT)
    record = await w.records.create(patient, new())
    with pytest.raises(NotFound):
        await w.records.get(other, record.id)
    with pytest.raises(NotFound):
        await w.records.delete(other, record.id)
    denied = [e for e in w.audit_events() if e.actor_id == other.id]
    assert [(e.action, e.outcome, e.patient_id) for e in denied] == [
        ("record.read", Outcome.NOT_FOUND, patient.id),
        ("record.delete", Outcome.NOT_FOUND, patient.id),
    ]
    assert denied[0].request_id == "req-1"
    assert (await w.records.get(patient, record.id)).deleted_at is None


async def test_doctors_update_only_what_they_wrote_and_never_delete() -> None:
    w = World()
    patient, doctor = w.user(Role.PATIENT), w.user(Role.DOCTOR)
    await w.assignments.assign(patient, doctor.id)
    patients_own = await w.records.create(patient, new())
    doctors_own = await w.records.create(doctor, new(patient_id=patient.id))
    with pytest.raises(Forbidden):
        await w.records.update(doctor, patients_own.id, changes())
    assert (await w.records.update(doctor, doctors_own.id, changes())).version == 2
    with pytest.raises(Forbidden):
        await w.records.delete(doctor, doctors_own.id)
    outcomes = [e.outcome for e in w.audit_events() if e.action == "record.delete"]
    assert outcomes == [Outcome.DENIED]


async def test_stale_version_is_refused_and_changes_nothing() -> None:
    w = World()
    patient = w.user(Role.PATIENT)
    record = await w.records.create(patient, new())
    updated = await w.records.update(patient, record.id, changes("v2"), expected_version=1)
    assert updated.version == 2
    with pytest.raises(PreconditionFailed):
        await w.records.update(patient, record.id, changes("v3"), expected_version=1)
    assert (await w.records.get(patient, record.id)).title == "v2"
    # Without a version the update applies.
    assert (await w.records.update(patient, record.id, changes("v3"))).version == 3
    conflict = [e for e in w.audit_events() if e.outcome is Outcome.CONFLICT]
    assert len(conflict) == 1


async def test_soft_deleted_records_vanish_but_stay_stored() -> None:
    w = World()
    patient = w.user(Role.PATIENT)
    record = await w.records.create(patient, new())
    await w.records.delete(patient, record.id)
    with pytest.raises(NotFound):
        await w.records.get(patient, record.id)
    assert (await w.records.list(patient)).items == []
    assert w.store.table("records")[record.id].deleted_at is not None


async def test_list_pages_newest_first_with_filters() -> None:
    w = World()
    patient = w.user(Role.PATIENT)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    made = [
        await w.records.create(patient, new(f"r{i}", recorded_at=start + timedelta(days=i)))
        for i in range(7)
    ]
    seen, cursor = [], None
    while True:
        page = await w.records.list(patient, limit=3, cursor=cursor)
        seen += [r.title for r in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [r.title for r in reversed(made)]
    assert (await w.records.list(patient, record_type=RecordType.NOTE)).items == []
    with pytest.raises(InvalidInput):
        await w.records.list(patient, cursor="not-a-cursor")
    with pytest.raises(InvalidInput):
        await w.records.list(patient, limit=0)


async def test_admins_see_no_health_data() -> None:
    w = World()
    patient, admin = w.user(Role.PATIENT), w.user(Role.ADMIN)
    record = await w.records.create(patient, new())
    with pytest.raises(NotFound):
        await w.records.get(admin, record.id)
    with pytest.raises(Forbidden):
        await w.records.list(admin)
    with pytest.raises(NotFound):
        await w.annotations.for_record(admin, record.id)


async def test_assigning_twice_is_idempotent() -> None:
    w = World()
    patient, doctor = w.user(Role.PATIENT), w.user(Role.DOCTOR)
    first = await w.assignments.assign(patient, doctor.id)
    again = await w.assignments.assign(patient, doctor.id)
    assert (first.created, again.created) == (True, False)
    assert again.assignment.id == first.assignment.id
    assert len(w.store.table("assignments")) == 1
    assert len(w.notifications()) == 1


async def test_assignment_parties_are_checked() -> None:
    w = World()
    patient, other, admin = w.user(Role.PATIENT), w.user(Role.PATIENT), w.user(Role.ADMIN)
    doctor = w.user(Role.DOCTOR)
    with pytest.raises(InvalidInput):
        await w.assignments.assign(patient, other.id)
    with pytest.raises(InvalidInput):
        await w.assignments.assign(patient, uuid4())
    with pytest.raises(Forbidden):
        await w.assignments.assign(patient, doctor.id, patient_id=other.id)
    with pytest.raises(Forbidden):
        await w.assignments.assign(doctor, doctor.id, patient_id=patient.id)
    with pytest.raises(InvalidInput):
        await w.assignments.assign(admin, doctor.id, patient_id=doctor.id)
    made = await w.assignments.assign(admin, doctor.id, patient_id=patient.id)
    assert made.assignment.assigned_by == admin.id


async def test_assignment_lists_and_revocation_rights() -> None:
    w = World()
    patient, other, admin = w.user(Role.PATIENT), w.user(Role.PATIENT), w.user(Role.ADMIN)
    doctor = w.user(Role.DOCTOR, "Dr Who")
    a = (await w.assignments.assign(patient, doctor.id)).assignment
    await w.assignments.assign(other, doctor.id)
    assert [x.assignment.id for x in (await w.assignments.list(patient)).items] == [a.id]
    assert len((await w.assignments.list(doctor)).items) == 2
    assert len((await w.assignments.list(admin)).items) == 2
    mine = await w.assignments.my_patients(doctor)
    assert {p.id for p in mine} == {patient.id, other.id}
    with pytest.raises(Forbidden):
        await w.assignments.my_patients(patient)
    with pytest.raises(Forbidden):
        await w.assignments.revoke(doctor, a.id)
    with pytest.raises(NotFound):
        await w.assignments.revoke(other, a.id)
    await w.assignments.revoke(patient, a.id)
    await w.assignments.revoke(patient, a.id)  # idempotent: no second notification
    revoked = [n for n in w.notifications() if n.kind is NotificationKind.ASSIGNMENT_REVOKED]
    assert len(revoked) == 1
    assert (await w.assignments.list(patient)).items == []
    assert len((await w.assignments.list(patient, include_revoked=True)).items) == 1


async def test_annotations_by_assigned_doctors_notify_the_patient() -> None:
    w = World()
    patient, doctor, stranger = w.user(Role.PATIENT), w.user(Role.DOCTOR), w.user(Role.DOCTOR)
    record = await w.records.create(patient, new())
    await w.assignments.assign(patient, doctor.id)
    note = await w.annotations.annotate(doctor, record.id, "Looks fine.")
    assert note.patient_id == patient.id
    with pytest.raises(NotFound):
        await w.annotations.annotate(stranger, record.id, "Hi")
    with pytest.raises(Forbidden):
        await w.annotations.annotate(patient, record.id, "Hi")
    with pytest.raises(InvalidInput):
        await w.annotations.annotate(doctor, record.id, "x" * 10_001)
    page = await w.annotations.for_record(patient, record.id)
    assert [a.body for a in page.items] == ["Looks fine."]
    assert len((await w.annotations.for_record(doctor, record.id)).items) == 1
    with pytest.raises(NotFound):
        await w.annotations.for_record(stranger, record.id)
    last = w.notifications()[-1]
    assert (last.recipient_id, last.kind) == (patient.id, NotificationKind.ANNOTATION_CREATED)
    assert set(last.payload) == {"annotation_id", "record_id"}


async def test_only_admins_read_the_audit_with_filters_and_pages() -> None:
    w = World()
    patient, other, admin = w.user(Role.PATIENT), w.user(Role.PATIENT), w.user(Role.ADMIN)
    for i in range(5):
        await w.records.create(patient, new(f"r{i}"))
    await w.records.create(other, new())
    with pytest.raises(Forbidden):
        await w.audit.list(patient, AuditQuery())
    seen, cursor = [], None
    while True:
        page = await w.audit.list(admin, AuditQuery(patient_id=patient.id, limit=2, cursor=cursor))
        seen += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == 5
    assert {e.actor_id for e in seen} == {patient.id}
    by_actor = await w.audit.list(admin, AuditQuery(actor_id=other.id))
    assert [e.action for e in by_actor.items] == ["record.create"]
    cut = seen[2].occurred_at
    since = await w.audit.list(admin, AuditQuery(actor_id=patient.id, since=cut))
    # The patient's own denied attempt to read the audit is in the trail too.
    assert since.items[0].action == "audit.list"
    assert [e.id for e in since.items][1:] == [e.id for e in seen[:3]]
