"""A record's versions: the current one and every earlier one kept on change.

Read under the record's own rule (policy.read_record_versions) and audited
under its patient like a read of the record. A soft-deleted record hides its
versions with it; they stay stored.
"""

from __future__ import annotations

import base64
import binascii
import json
from uuid import UUID

from healthrecords.domain import policy
from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import FieldError, InvalidInput, NotFound
from healthrecords.domain.pagination import Page, check_limit
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from healthrecords.domain.records import Record, RecordVersion
from healthrecords.domain.services.trail import Target, audit_alone, audit_event, enforce

NO_VERSION = "No such version of this record."


def encode_cursor(version: int) -> str:
    return base64.urlsafe_b64encode(json.dumps(["v", version]).encode()).decode().rstrip("=")


def decode_cursor(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        tag, version = json.loads(raw)
        if tag != "v" or type(version) is not int or version < 1:
            raise ValueError(token)
        return version
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidInput(
            "The cursor is not one this API issued.", [FieldError("cursor", "invalid cursor")]
        ) from exc


class RecordHistoryService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def _visible(self, uow: UnitOfWork, actor: Actor, target: Target) -> Record:
        assert target.id is not None
        record = await uow.records.get(target.id)
        target_of_file = Target(
            action=target.action,
            type="record",
            id=target.id,
            patient_id=record.patient_id if record else None,
        )
        decision = await policy.read_record_versions(actor, record, uow.assignments)
        await enforce(uow, actor, decision, target_of_file, self._clock.now())
        assert record is not None
        return record

    async def list(
        self, actor: Actor, record_id: UUID, limit: int = 20, cursor: str | None = None
    ) -> Page[RecordVersion]:
        check_limit(limit)
        before = decode_cursor(cursor) if cursor else None
        now = self._clock.now()
        target = Target(action="record.versions.list", type="record", id=record_id)
        async with self._uow() as uow:
            record = await self._visible(uow, actor, target)
            found: list[RecordVersion] = []
            if before is None or record.version < before:
                found.append(RecordVersion.of(record))
            below = record.version if before is None else min(before, record.version)
            found.extend(await uow.record_versions.list(record_id, limit + 1 - len(found), below))
            await uow.audit.add(audit_event(actor, _of_file(target, record), Outcome.SUCCESS, now))
            await uow.commit()
        items = found[:limit]
        more = len(found) > limit
        return Page(items, encode_cursor(items[-1].version) if more else None)

    async def get(self, actor: Actor, record_id: UUID, version: int) -> RecordVersion:
        now = self._clock.now()
        target = Target(action="record.version.read", type="record", id=record_id)
        async with self._uow() as uow:
            record = await self._visible(uow, actor, target)
            found: RecordVersion | None
            if version == record.version:
                found = RecordVersion.of(record)
            elif 1 <= version < record.version:
                found = await uow.record_versions.get(record_id, version)
            else:
                found = None
            if found is None:
                await audit_alone(uow, actor, _of_file(target, record), Outcome.NOT_FOUND, now)
                raise NotFound(NO_VERSION)
            await uow.audit.add(audit_event(actor, _of_file(target, record), Outcome.SUCCESS, now))
            await uow.commit()
        return found


def _of_file(target: Target, record: Record) -> Target:
    return Target(action=target.action, type="record", id=record.id, patient_id=record.patient_id)
