from __future__ import annotations

import pytest

from healthrecords.domain.actor import RequestContext
from healthrecords.domain.errors import AuthenticationFailed, TooManyAttempts, Unavailable
from healthrecords.domain.services.auth import INVALID_CREDENTIALS, token_digest
from tests.unit.auth_world import World

PASSWORD = "Long-Enough-Secret"


@pytest.fixture
def world() -> World:
    return World()


async def test_login_issues_an_access_token_and_a_hashed_refresh_token(world: World) -> None:
    user = await world.user()
    pair = await world.auth.login(user.email.upper(), PASSWORD)
    claims = world.codec.verify(pair.access_token)
    assert claims.subject == user.id
    assert claims.role is user.role
    assert pair.expires_in == 300
    assert len(pair.refresh_token) >= 43
    async with world.uow() as uow:
        stored = await uow.refresh_tokens.get_by_hash(token_digest(pair.refresh_token))
    assert stored is not None
    assert stored.user_id == user.id
    assert pair.refresh_token not in repr(world.store.tables)


async def test_unknown_email_costs_a_verification_and_fails_alike(world: World) -> None:
    user = await world.user()
    with pytest.raises(AuthenticationFailed) as unknown:
        await world.auth.login("nobody@example.org", PASSWORD)
    with pytest.raises(AuthenticationFailed) as wrong:
        await world.auth.login(user.email, "Wrong-Password-123")
    assert unknown.value.detail == wrong.value.detail == INVALID_CREDENTIALS
    # Both paths ran one password verification.
    assert len(world.hasher.verified) == 2
    assert world.hasher.verified[0] != user.password_hash


async def test_an_inactive_account_cannot_log_in(world: World) -> None:
    admin = await world.accounts.create_admin("root@example.org", PASSWORD, "Root")
    user = await world.user()
    await world.accounts.set_active(world.actor(admin), user.id, False)
    with pytest.raises(AuthenticationFailed) as caught:
        await world.auth.login(user.email, PASSWORD)
    assert caught.value.detail == INVALID_CREDENTIALS


async def test_login_rehashes_an_outdated_hash(world: World) -> None:
    user = await world.user()
    world.hasher.scheme = "v2"
    await world.auth.login(user.email, PASSWORD)
    async with world.uow() as uow:
        stored = await uow.users.get(user.id)
    assert stored is not None
    assert stored.password_hash.startswith("v2$")
    await world.auth.login(user.email, PASSWORD)


async def test_failures_lock_the_account_until_the_window_passes(world: World) -> None:
    user = await world.user()
    for _ in range(world.max_failures):
        with pytest.raises(AuthenticationFailed):
            await world.auth.login(user.email, "Wrong-Password-123")
    with pytest.raises(TooManyAttempts) as caught:
        await world.auth.login(user.email, PASSWORD)
    assert caught.value.retry_after == world.window
    world.clock.advance(world.window - 1)
    with pytest.raises(TooManyAttempts) as still:
        await world.auth.login(user.email, PASSWORD)
    assert still.value.retry_after == 1
    world.clock.advance(1)
    await world.auth.login(user.email, PASSWORD)


async def test_refresh_rotates_within_the_family(world: World) -> None:
    user = await world.user()
    first = await world.auth.login(user.email, PASSWORD)
    second = await world.auth.refresh(first.refresh_token)
    third = await world.auth.refresh(second.refresh_token)
    assert len({first.refresh_token, second.refresh_token, third.refresh_token}) == 3
    async with world.uow() as uow:
        tokens = [
            await uow.refresh_tokens.get_by_hash(token_digest(p.refresh_token))
            for p in (first, second, third)
        ]
    assert len({t.family_id for t in tokens if t}) == 1


async def test_reuse_revokes_the_family_but_not_other_logins(world: World) -> None:
    user = await world.user()
    first = await world.auth.login(user.email, PASSWORD)
    other = await world.auth.login(user.email, PASSWORD)
    second = await world.auth.refresh(first.refresh_token)
    with pytest.raises(AuthenticationFailed):
        await world.auth.refresh(first.refresh_token)
    with pytest.raises(AuthenticationFailed):
        await world.auth.refresh(second.refresh_token)
    await world.auth.refresh(other.refresh_token)


async def test_an_expired_refresh_token_fails(world: World) -> None:
    user = await world.user()
    pair = await world.auth.login(user.email, PASSWORD)
    world.clock.advance(7 * 24 * 3600)
    with pytest.raises(AuthenticationFailed):
        await world.auth.refresh(pair.refresh_token)


async def test_logout_revokes_only_the_callers_own_family(world: World) -> None:
    user = await world.user()
    stranger = await world.user()
    pair = await world.auth.login(user.email, PASSWORD)
    await world.auth.logout(world.actor(stranger), pair.refresh_token)
    second = await world.auth.refresh(pair.refresh_token)
    await world.auth.logout(world.actor(user), second.refresh_token)
    with pytest.raises(AuthenticationFailed):
        await world.auth.refresh(second.refresh_token)
    await world.auth.logout(world.actor(user), "never-issued")


async def test_an_attempt_the_database_could_not_decide_is_not_counted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await world.user()

    async def down(password_hash: str, password: str) -> bool:
        raise Unavailable("database down")

    for _ in range(world.max_failures + 2):
        with monkeypatch.context() as patched:
            patched.setattr(world.hasher, "verify", down)
            with pytest.raises(Unavailable):
                await world.auth.login(user.email, PASSWORD)
    # Nothing was verified, so nothing counts against the owner.
    assert (await world.auth.login(user.email, PASSWORD)).access_token


async def test_failures_from_one_address_do_not_stop_another(world: World) -> None:
    user = await world.user()
    for _ in range(world.max_failures):
        with pytest.raises(AuthenticationFailed):
            await world.auth.login(
                user.email, "Wrong-Password-123", RequestContext(client_address="198.51.100.7")
            )
    with pytest.raises(TooManyAttempts):
        await world.auth.login(user.email, PASSWORD, RequestContext(client_address="198.51.100.7"))
    assert (
        await world.auth.login(user.email, PASSWORD, RequestContext(client_address="203.0.113.9"))
    ).access_token
