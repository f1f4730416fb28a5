"""Audit events and policy enforcement shared by the record-side services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn
from uuid import UUID, uuid4

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import AuditEvent, Outcome
from healthrecords.domain.errors import Forbidden, NotFound
from healthrecords.domain.policy import Decision
from healthrecords.domain.ports.unit_of_work import AuditedWork, ReadWork
from healthrecords.domain.records import Record

NOT_FOUND = {
    "record": "No such record.",
    "assignment": "No such assignment.",
    "patient": "No such patient file.",
    "emergency_access": "No such emergency access.",
}
FORBIDDEN = "You may not do this."


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    action: str
    type: str
    id: UUID | None = None
    patient_id: UUID | None = None


def audit_event(actor: Actor, target: Target, outcome: Outcome, at: datetime) -> AuditEvent:
    return AuditEvent(
        id=uuid4(),
        occurred_at=at,
        actor_id=actor.id,
        actor_role=actor.role.value,
        action=target.action,
        target_type=target.type,
        target_id=target.id,
        patient_id=target.patient_id,
        outcome=outcome,
        request_id=actor.context.request_id[:64],
        client_address=(actor.context.client_address or None),
    )


async def enforce(
    uow: AuditedWork, actor: Actor, decision: Decision, target: Target, at: datetime
) -> None:
    """Return if allowed; else audit the denied attempt, commit it, and raise."""
    if decision is Decision.ALLOW:
        return
    await deny(uow, actor, decision, target, at)


async def deny(
    uow: AuditedWork, actor: Actor, decision: Decision, target: Target, at: datetime
) -> NoReturn:
    hidden = decision is Decision.HIDDEN
    await audit_alone(uow, actor, target, Outcome.NOT_FOUND if hidden else Outcome.DENIED, at)
    if hidden:
        raise NotFound(NOT_FOUND.get(target.type, "Not found."))
    raise Forbidden(FORBIDDEN)


async def audit_alone(
    uow: AuditedWork, actor: Actor, target: Target, outcome: Outcome, at: datetime
) -> None:
    """Drop whatever this unit of work wrote and commit only the trail entry."""
    await uow.rollback()
    await uow.audit.add(audit_event(actor, target, outcome, at))
    await uow.commit()


async def readable_record(
    uow: ReadWork, actor: Actor, record_id: UUID, action: str, at: datetime
) -> tuple[Record, Target]:
    """The record, once the policy lets the actor read it, with the audit
    target naming its file; a refusal is audited and raised (404 for anything
    the actor may not see, so existence never leaks)."""
    fetched = await uow.records.get_for_reader(record_id, actor.id)
    target = Target(
        action=action,
        type="record",
        id=record_id,
        patient_id=fetched.record.patient_id if fetched else None,
    )
    await enforce(uow, actor, policy.read_fetched(actor, fetched), target, at)
    assert fetched is not None
    return fetched.record, target
