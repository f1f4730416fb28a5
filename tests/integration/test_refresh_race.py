"""Concurrent refreshes of one token on a real database: exactly one wins.

The requests run truly in parallel here (separate connections on one loop),
unlike through AsyncTestClient, which serialises requests.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.domain.errors import AuthenticationFailed
from healthrecords.domain.services.auth import TokenPair

PARALLEL = 4
ROUNDS = 5


@pytest.fixture
async def container(settings: Settings) -> AsyncIterator[Container]:
    container = build_container(settings)
    yield container
    await container.aclose()


async def signed_in(container: Container) -> TokenPair:
    email = f"race-{secrets.token_hex(6)}@example.test"
    password = "Race-Condition-" + secrets.token_hex(4)
    await container.accounts.register(email, password, "Race Tester", "patient")
    return await container.auth.login(email, password)


async def test_exactly_one_of_concurrent_refreshes_wins(container: Container) -> None:
    for _ in range(ROUNDS):
        pair = await signed_in(container)
        outcomes = await asyncio.gather(
            *(container.auth.refresh(pair.refresh_token) for _ in range(PARALLEL)),
            return_exceptions=True,
        )
        winners = [o for o in outcomes if isinstance(o, TokenPair)]
        losers = [o for o in outcomes if isinstance(o, AuthenticationFailed)]
        assert len(winners) == 1, outcomes
        assert len(losers) == PARALLEL - 1, outcomes
        # Every loser presented a spent token: the family is revoked, winner included.
        with pytest.raises(AuthenticationFailed):
            await container.auth.refresh(winners[0].refresh_token)
