"""One statement per chunk answers which of many users are still active (both backends)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from healthrecords.adapters.sqlalchemy.repositories import users as users_repository
from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.people import add_user


@pytest.fixture(scope="module")
async def store(settings: Settings) -> AsyncIterator[Container]:
    container = build_container(settings)
    yield container
    await container.aclose()


async def test_active_roles_names_the_active_ones_with_their_role(
    store: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of two, so a list of five spans three statements.
    monkeypatch.setattr(users_repository, "IDS_PER_STATEMENT", 2)
    doctor = await add_user(store, Role.DOCTOR)
    patient = await add_user(store, Role.PATIENT)
    gone = await add_user(store, Role.PATIENT)
    async with store.uow() as uow:
        row = await uow.users.get(gone.id)
        assert row is not None
        await uow.users.update(dataclasses.replace(row, is_active=False))
        await uow.commit()
    other = await add_user(store, Role.DOCTOR)
    unknown = uuid4()

    async with store.uow() as uow:
        roles = await uow.users.active_roles([doctor.id, gone.id, unknown, patient.id, other.id])
        nobody = await uow.users.active_roles([])

    assert roles == {doctor.id: Role.DOCTOR, patient.id: Role.PATIENT, other.id: Role.DOCTOR}
    assert nobody == {}
