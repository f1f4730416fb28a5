"""PatientFileService on the in-memory adapters: pages, people, policy and audit."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import Forbidden, NotFound
from healthrecords.domain.records import RecordType
from healthrecords.domain.services.patient_files import PatientFileService
from healthrecords.domain.services.record_inputs import NewRecord
from healthrecords.domain.users import Role
from tests.unit.records_world import World

OBSERVATIONS = {RecordType.LAB_RESULT, RecordType.VITAL_SIGN}


def files(w: World) -> PatientFileService:
    return PatientFileService(w.uow, w.clock)


async def add(w: World, who: Actor, kind: RecordType, at: datetime, patient: Actor) -> str:
    made = await w.records.create(
        who,
        NewRecord(title="t", record_type=kind, content="c", recorded_at=at, patient_id=patient.id),
    )
    return str(made.id)  # type: ignore[union-attr]


@pytest.mark.parametrize("seed", range(5))
async def test_observation_pages_merge_two_types_exactly(seed: int) -> None:
    w, rng = World(), random.Random(seed)
    patient = w.user(Role.PATIENT)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    made = []
    for _ in range(rng.randint(5, 15)):
        kind = rng.choice(list(RecordType))
        # Few distinct instants: ties across the two types are common.
        at = base + timedelta(minutes=rng.randint(0, 4))
        made.append((at, await add(w, patient, kind, at, patient), kind))
    limit = rng.randint(1, 4)
    seen, cursor = [], None
    while True:
        page = await files(w).search(patient, patient.id, OBSERVATIONS, limit, cursor)
        assert len(page.items) <= limit
        seen += [str(r.record.id) for r in page.items]
        if (cursor := page.next_cursor) is None:
            break
    # Newest first by (recorded_at, id), as the REST pages: ids compare as UUIDs.
    observed = [(at, UUID(ident)) for at, ident, kind in made if kind in OBSERVATIONS]
    assert seen == [str(ident) for _, ident in sorted(observed, reverse=True)]


async def test_everything_names_the_patient_once_and_only_the_doctors_who_wrote() -> None:
    w = World()
    patient, writer, annotator, idle = (
        w.user(Role.PATIENT),
        w.user(Role.DOCTOR),
        w.user(Role.DOCTOR),
        w.user(Role.DOCTOR),
    )
    for doctor in (writer, annotator, idle):
        await w.assignments.assign(patient, doctor.id)
    at = datetime(2025, 1, 1, tzinfo=UTC)
    own = await add(w, patient, RecordType.NOTE, at, patient)
    theirs = await add(w, writer, RecordType.CONDITION, at - timedelta(days=1), patient)
    await w.annotations.annotate(annotator, UUID(own), "seen")
    first = await files(w).everything(idle, patient.id, 1, None)
    second = await files(w).everything(idle, patient.id, 1, first.next_cursor)

    assert first.patient is not None
    assert first.patient.id == patient.id
    assert second.patient is None
    assert [r.record.id for r in first.records + second.records] == [UUID(own), UUID(theirs)]
    assert [d.id for d in first.doctors] == [annotator.id]
    assert [d.id for d in second.doctors] == [writer.id]
    assert second.next_cursor is None
    exports = [e for e in w.audit_events() if e.action == "fhir.everything"]
    assert [(e.actor_id, e.patient_id, e.outcome) for e in exports] == [
        (idle.id, patient.id, Outcome.SUCCESS)
    ] * 2


async def test_a_practitioner_is_seen_through_live_records_only() -> None:
    w = World()
    patient, doctor = w.user(Role.PATIENT), w.user(Role.DOCTOR)
    await w.assignments.assign(patient, doctor.id)
    record = await add(w, doctor, RecordType.NOTE, datetime(2025, 1, 1, tzinfo=UTC), patient)
    assert (await files(w).practitioner(patient, doctor.id)).id == doctor.id
    await w.records.delete(patient, UUID(record))
    with pytest.raises(NotFound):
        await files(w).practitioner(patient, doctor.id)
    denied = [e for e in w.audit_events() if e.action == "fhir.read"][-1]
    assert (denied.outcome, denied.patient_id) == (Outcome.NOT_FOUND, None)


async def test_admins_get_404_for_the_export_and_403_for_searches() -> None:
    w = World()
    patient, admin = w.user(Role.PATIENT), w.user(Role.ADMIN)
    with pytest.raises(NotFound):
        await files(w).everything(admin, patient.id, 10, None)
    with pytest.raises(NotFound):
        await files(w).patient(admin, patient.id)
    with pytest.raises(Forbidden):
        await files(w).search(admin, patient.id, OBSERVATIONS, 10, None)
