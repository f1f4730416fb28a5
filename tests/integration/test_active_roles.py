"""One statement per chunk answers which of many users are still active, and
which of many sessions still hold (both backends): the sockets' account watch."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from healthrecords.adapters.sqlalchemy.repositories import tokens as tokens_repository
from healthrecords.adapters.sqlalchemy.repositories import users as users_repository
from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.people import add_user, seed_user


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


async def test_live_names_the_live_sessions_of_active_users(
    store: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of two, so six sessions span three statements per table.
    monkeypatch.setattr(users_repository, "IDS_PER_STATEMENT", 2)
    monkeypatch.setattr(tokens_repository, "IDS_PER_STATEMENT", 2)
    kept, other = await seed_user(store, Role.DOCTOR), await seed_user(store, Role.PATIENT)
    ended, gone = await seed_user(store, Role.PATIENT), await seed_user(store, Role.PATIENT)
    async with store.uow() as uow:
        assert await uow.refresh_tokens.revoke_family(ended.session_id, datetime.now(UTC))
        row = await uow.users.get(gone.id)
        assert row is not None
        await uow.users.update(dataclasses.replace(row, is_active=False))
        await uow.commit()

    live = await store.user_sessions.live(
        [
            (kept.id, kept.session_id),
            (ended.id, ended.session_id),
            (gone.id, gone.session_id),
            (other.id, kept.session_id),  # a session of another user
            (other.id, other.session_id),
            (uuid4(), uuid4()),
        ]
    )

    assert live == {(kept.id, kept.session_id), (other.id, other.session_id)}
    assert await store.user_sessions.live([]) == set()
