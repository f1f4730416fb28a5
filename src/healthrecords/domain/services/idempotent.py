"""Idempotency-Key handling shared by the services' creating writes.

A stored answer is looked up first, inside the write's transaction; the new
answer is stored in that same transaction, so it exists if and only if the
write committed. Two requests with one key at once: the second's insert of
the key waits on the unique index until the first commits, then fails, and
the second rolls its own work back and replays the first's answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.errors import Conflict
from healthrecords.domain.idempotency import Answer, KeyedAnswer, Once, key_reused
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.unit_of_work import UnitOfWork
from healthrecords.domain.services.trail import Target, audit_event

T = TypeVar("T")
# Enforces that the caller may still see what the stored answer shows (it may
# hold health data) and returns what to audit the replay under.
Recheck = Callable[[UnitOfWork, KeyedAnswer], Awaitable[Target]]
PURGE_EVERY = timedelta(minutes=10)
IN_PROGRESS = "A request with this Idempotency-Key is still in progress; retry it shortly."


async def replay(
    uow: UnitOfWork, actor: Actor, once: Once[T] | None, recheck: Recheck, now: datetime
) -> Answer | None:
    """The first answer to this key, if one is stored (audited, committed)."""
    if once is None:
        return None
    stored = await uow.idempotency_keys.find(actor.id, once.scope, once.key_digest, now)
    if stored is None:
        return None
    if stored.fingerprint != once.fingerprint:
        raise key_reused()
    target = await recheck(uow, stored)
    await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
    await uow.commit()
    return dataclasses.replace(stored.answer, replayed=True)


async def remember(
    uow: UnitOfWork,
    actor: Actor,
    once: Once[T] | None,
    made: T,
    subject_id: UUID | None,
    now: datetime,
) -> bool:
    """Store the answer with the write; False (work rolled back) if a
    concurrent request with the same key committed first."""
    if once is None:
        return True
    try:
        await uow.idempotency_keys.add(once.keyed(actor.id, once.render(made), subject_id, now))
    except Conflict:
        await uow.rollback()
        return False
    return True


async def replay_raced(
    uow: UnitOfWork, actor: Actor, once: Once[T], recheck: Recheck, now: datetime
) -> Answer:
    """After losing the race for a key: the winner's answer."""
    answer = await replay(uow, actor, once, recheck, now)
    if answer is None:
        raise Conflict(IN_PROGRESS)
    return answer


def replay_target(action: str, type_: str, stored: KeyedAnswer, patient_id: UUID | None) -> Target:
    return Target(
        action=f"{action}.replay", type=type_, id=stored.subject_id, patient_id=patient_id
    )


class ExpiredKeys:
    """Deletes keys past their 24 hours, in bounded batches (one transaction each)."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock, batch: int = 1000) -> None:
        self._uow = uow
        self._clock = clock
        self._batch = batch
        self._last: datetime | None = None

    async def purge_if_due(self, every: timedelta = PURGE_EVERY) -> int:
        """For a loop that runs more often than purging is worth (embedded mode)."""
        now = self._clock.now()
        if self._last is not None and now - self._last < every:
            return 0
        self._last = now
        return await self.purge()

    async def purge(self) -> int:
        total = 0
        while True:
            async with self._uow() as uow:
                gone = await uow.idempotency_keys.purge(self._clock.now(), self._batch)
                await uow.commit()
            total += gone
            if gone < self._batch:
                return total
