"""A live API process (production mode) and a signed-in user of each role to fuzz it with."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from healthrecords.bootstrap import build_container
from healthrecords.config import Settings
from healthrecords.domain.users import Role
from tests.faults.processes import ApiServer, settings_env, start_api
from tests.people import SeededUser, seed_user

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
    container = build_container(dataclasses.replace(production_settings, access_token_ttl=3600))
    users = {role.value: await seed_user(container, role) for role in Role}
    yield users
    await container.aclose()
