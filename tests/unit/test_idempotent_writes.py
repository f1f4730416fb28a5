"""Idempotency-Key rules in the domain, on the in-memory fakes."""

from __future__ import annotations

import json

import pytest

from healthrecords.domain.errors import InvalidInput
from healthrecords.domain.idempotency import Answer, MalformedKey, Once, digest, parse_key
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.services.record_inputs import NewRecord
from healthrecords.domain.users import Role
from tests.unit.records_world import World

NEW = NewRecord(title="Blood pressure", record_type=RecordType.VITAL_SIGN, content="120/80")


def once(key: str = "k", request: str = "same") -> Once[Record]:
    return Once(
        scope="POST /api/records/",
        key_digest=digest(key),
        fingerprint=digest(request),
        render=lambda r: Answer(201, json.dumps({"id": str(r.id)}).encode(), (("ETag", '"1"'),)),
    )


async def test_a_replay_does_not_write_or_notify_again_and_is_audited() -> None:
    w = World()
    patient, doctor = w.user(Role.PATIENT), w.user(Role.DOCTOR)
    await w.assignments.assign(patient, doctor.id)
    doctors_new = NewRecord(
        title="Blood pressure",
        record_type=RecordType.VITAL_SIGN,
        content="120/80",
        patient_id=patient.id,
    )
    first = await w.records.create(doctor, doctors_new, once())
    assert isinstance(first, Record)
    enqueued = list(w.queue.enqueued)
    again = await w.records.create(doctor, doctors_new, once())
    assert isinstance(again, Answer)
    assert again.replayed
    assert json.loads(again.body) == {"id": str(first.id)}
    assert again.headers == (("ETag", '"1"'),)
    assert len(w.store.table("records")) == 1
    assert w.queue.enqueued == enqueued
    assert w.audit_events()[-1].action == "record.create.replay"


async def test_another_request_under_the_same_key_is_refused() -> None:
    w = World()
    patient = w.user(Role.PATIENT)
    await w.records.create(patient, NEW, once())
    with pytest.raises(InvalidInput) as refused:
        await w.records.create(patient, NEW, once(request="other"))
    assert refused.value.errors[0].field == "Idempotency-Key"
    assert len(w.store.table("records")) == 1


@pytest.mark.parametrize(
    ("raw", "key"), [('"abc"', "abc"), ("abc", "abc"), (" x ", "x"), ("k" * 255, "k" * 255)]
)
def test_keys_are_read_as_structured_strings_or_bare_text(raw: str, key: str) -> None:
    assert parse_key(raw) == key


@pytest.mark.parametrize("raw", ["", '""', "  ", "k" * 256, "tab\there", "caf\u00e9"])
def test_malformed_keys_are_refused(raw: str) -> None:
    with pytest.raises(MalformedKey):
        parse_key(raw)
