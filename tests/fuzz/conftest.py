"""A live API process (production mode) and a signed-in user of each role to fuzz it with."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from healthrecords.bootstrap import build_container
from healthrecords.config import Settings
from healthrecords.domain.users import Role

# The in-process app on both runtime modes, for the property tests that aim at
# one kind of input (test_time_fuzzing.py).
from tests.api.conftest import MakeUser, app, client, container, in_app_loop, make_user
from tests.faults.processes import ApiServer, settings_env, start_api
from tests.people import SeededUser, seed_user

__all__ = ["app", "client", "container", "in_app_loop", "make_user"]

# The fuzzer sends thousands of requests from one address and guesses
# passwords; the limits are tested elsewhere and would only answer 429 here.
UNTHROTTLED = {
    "rate_limit_per_minute": "1000000",
    "auth_rate_limit_per_minute": "1000000",
    "login_max_failures": "1000",
    "access_token_ttl": "3600",
}


@pytest.fixture(scope="session")
async def fuzz_server(
    production_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ApiServer]:
    env = settings_env(production_settings, **UNTHROTTLED)
    server = await start_api(env, tmp_path_factory.mktemp("fuzz"), name="fuzz-api")
    yield server
    await server.stop()


@pytest.fixture(scope="session")
async def fuzz_users(production_settings: Settings) -> AsyncIterator[dict[str, SeededUser]]:
    own = build_container(dataclasses.replace(production_settings, access_token_ttl=3600))
    users = {role.value: await seed_user(own, role) for role in Role}
    yield users
    await own.aclose()


@pytest.fixture(scope="session")
async def fuzz_people(make_user: MakeUser) -> dict[Role, SeededUser]:
    return {role: await make_user(role) for role in Role}
