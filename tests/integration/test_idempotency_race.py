"""Requests with one Idempotency-Key at once: one does the work, all get its answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.actor import Actor
from healthrecords.domain.idempotency import Answer, Once, digest
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.services.record_inputs import NewRecord
from healthrecords.domain.services.records import RecordService
from healthrecords.domain.users import Role
from tests.people import add_user

NEW = NewRecord(title="Migraine", record_type=RecordType.CONDITION, content="Monthly.")


@pytest.fixture(scope="module")
async def container(settings: Settings) -> AsyncIterator[Container]:
    made = build_container(settings)
    yield made
    await made.aclose()


def once(key: str) -> Once[Record]:
    return Once(
        scope="POST /api/records/",
        key_digest=digest(key),
        fingerprint=digest("same request"),
        render=lambda r: Answer(201, json.dumps({"id": str(r.id)}).encode()),
    )


def answered_id(made: Record | Answer) -> str:
    return str(made.id) if isinstance(made, Record) else json.loads(made.body)["id"]


async def records_of(container: Container, actor: Actor) -> list[Record]:
    return list((await container.records.list(actor, limit=100)).items)


async def test_requests_with_one_key_at_once_create_one_record(container: Container) -> None:
    patient = await add_user(container, Role.PATIENT)
    key = once("at-once")
    made = await asyncio.gather(*(container.records.create(patient, NEW, key) for _ in range(6)))
    assert sum(isinstance(m, Record) for m in made) == 1
    assert len({answered_id(m) for m in made}) == 1
    assert len(await records_of(container, patient)) == 1


async def test_a_race_lost_at_the_unique_index_answers_with_the_winner(
    container: Container,
) -> None:
    """The other request committed the key between our look-up and our insert."""
    patient = await add_user(container, Role.PATIENT)
    key = once("raced")
    winner = await container.records.create(patient, NEW, key)
    assert isinstance(winner, Record)

    class RacingUow:
        """`async with` looks __aenter__ up on the type, so wrap rather than patch."""

        def __init__(self) -> None:
            self._inner = container.uow()

        async def __aenter__(self) -> Any:
            opened = await self._inner.__aenter__()
            real = opened.idempotency_keys.find
            calls = 0

            async def stale_first(*args: Any) -> Any:
                nonlocal calls
                calls += 1
                return None if calls == 1 else await real(*args)

            opened.idempotency_keys.find = stale_first  # type: ignore[method-assign]
            return opened

        async def __aexit__(self, *exc: Any) -> None:
            await self._inner.__aexit__(*exc)

    loser = await RecordService(RacingUow, container.clock, container.notification_queue).create(
        patient, NEW, key
    )
    assert isinstance(loser, Answer)
    assert loser.replayed
    assert answered_id(loser) == str(winner.id)
    assert [r.id for r in await records_of(container, patient)] == [winner.id]
