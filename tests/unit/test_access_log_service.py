"""A patient's access log on the in-memory fakes."""

from __future__ import annotations

import pytest

from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import Forbidden
from healthrecords.domain.records import RecordType
from healthrecords.domain.services.access_log import AccessLogService
from healthrecords.domain.services.record_inputs import NewRecord
from healthrecords.domain.users import Role
from tests.unit.records_world import World


def access_log(w: World) -> AccessLogService:
    return AccessLogService(w.uow, w.clock)


async def test_it_names_who_touched_the_file_newest_first_and_audits_its_own_read() -> None:
    w = World()
    patient = w.user(Role.PATIENT)
    doctor = w.user(Role.DOCTOR, name="Dr. Who")
    record = await w.records.create(
        patient, NewRecord(title="Asthma", record_type=RecordType.CONDITION, content="mild")
    )
    await w.assignments.assign(patient, doctor.id)
    await w.records.get(doctor, record.id)

    page = await access_log(w).for_patient(patient, 20, None)

    newest = page.items[0]
    assert (newest.actor_id, newest.actor_name, newest.action) == (
        doctor.id,
        "Dr. Who",
        "record.read",
    )
    assert [a.occurred_at for a in page.items] == sorted(
        (a.occurred_at for a in page.items), reverse=True
    )
    assert "access_log.read" not in {a.action for a in page.items}
    assert w.audit_events()[-1].action == "access_log.read"


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.ADMIN])
async def test_staff_are_refused_and_the_attempt_is_audited_under_no_patient(role: Role) -> None:
    w = World()
    caller = w.user(role)
    with pytest.raises(Forbidden):
        await access_log(w).for_patient(caller, 20, None)
    (event,) = w.audit_events()
    assert (event.outcome, event.patient_id) == (Outcome.DENIED, None)
