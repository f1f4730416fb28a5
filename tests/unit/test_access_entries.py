"""Refused runs collapse per actor; successes never do (access_entries.Collapser)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from healthrecords.domain.audit import AuditEvent, Outcome
from healthrecords.domain.services.access_entries import Collapser

START = datetime(2026, 12, 1, tzinfo=UTC)
A, B, DOCTOR = uuid4(), uuid4(), uuid4()


def event(n: int, actor: UUID, outcome: Outcome) -> AuditEvent:
    return AuditEvent(
        id=uuid4(),
        occurred_at=START - timedelta(seconds=n),  # fed newest first
        actor_id=actor,
        actor_role="patient",
        action="record.list",
        target_type="record",
        target_id=None,
        patient_id=uuid4(),
        outcome=outcome,
        request_id="r",
        client_address=None,
    )


def fed(events: list[AuditEvent], limit: int) -> tuple[Collapser, int]:
    page = Collapser(limit)
    taken = 0
    for e in events:
        if not page.feed(e):
            break
        taken += 1
    return page, taken


def test_one_actors_refused_run_is_one_entry_even_interleaved() -> None:
    events = [
        event(0, A, Outcome.NOT_FOUND),
        event(1, B, Outcome.DENIED),
        event(2, A, Outcome.NOT_FOUND),
        event(3, A, Outcome.DENIED),
        event(4, DOCTOR, Outcome.SUCCESS),
        event(5, A, Outcome.NOT_FOUND),
    ]
    page, taken = fed(events, 10)
    assert taken == 6
    summary = [(e.newest.actor_id, e.count) for e in page.entries]
    assert summary == [(A, 3), (B, 1), (DOCTOR, 1), (A, 1)]
    assert page.entries[0].first_at == events[3].occurred_at
    assert page.entries[0].newest is events[0]


def test_successes_are_never_merged() -> None:
    page, _ = fed([event(n, DOCTOR, Outcome.SUCCESS) for n in range(4)], 10)
    assert [e.count for e in page.entries] == [1, 1, 1, 1]


def test_a_full_page_still_folds_its_own_run_but_stops_at_a_new_entry() -> None:
    events = [
        event(0, A, Outcome.NOT_FOUND),
        event(1, A, Outcome.NOT_FOUND),
        event(2, B, Outcome.NOT_FOUND),
    ]
    page, taken = fed(events, 1)
    assert taken == 2
    assert [(e.newest.actor_id, e.count) for e in page.entries] == [(A, 2)]
    assert page.last_consumed is events[1]
