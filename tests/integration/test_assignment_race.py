"""Two requests assign the same doctor at once: the unique index decides, both answer alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.services.assignments import AssignmentService
from healthrecords.domain.users import Role
from tests.people import add_user


@pytest.fixture(scope="module")
async def container(settings: Settings) -> AsyncIterator[Container]:
    made = build_container(settings)
    yield made
    await made.aclose()


async def test_an_assignment_race_lost_at_the_unique_index_answers_with_the_winner(
    container: Container,
) -> None:
    """The other request inserted between our check and our insert."""
    patient = await add_user(container, Role.PATIENT)
    doctor = await add_user(container, Role.DOCTOR)
    winner = await container.assignments.assign(patient, doctor.id)

    def racing_uow() -> Any:
        uow = container.uow()
        enter = uow.__aenter__

        async def entered() -> Any:
            opened = await enter()
            real = opened.assignments.get_active
            calls = 0

            async def stale_first(doctor_id: UUID, patient_id: UUID) -> Any:
                nonlocal calls
                calls += 1
                return None if calls == 1 else await real(doctor_id, patient_id)

            opened.assignments.get_active = stale_first
            return opened

        uow.__aenter__ = entered  # type: ignore[method-assign]
        return uow

    loser = await AssignmentService(
        racing_uow, container.clock, container.notification_queue
    ).assign(patient, doctor.id)
    assert (loser.created, loser.assignment.id) == (False, winner.assignment.id)
    async with container.uow() as uow:
        assert len(await uow.assignments.list(patient_id=patient.id)) == 1
