from __future__ import annotations

from uuid import UUID

import pytest

from healthrecords.domain.emails import email_problem, normalise_email
from healthrecords.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from healthrecords.domain.passwords import PasswordPolicy, shipped_common_passwords
from healthrecords.domain.services.auth import token_digest
from healthrecords.domain.users import Role
from tests.unit.auth_world import World

PASSWORD = "Long-Enough-Secret"


@pytest.fixture
def world() -> World:
    return World()


async def test_register_normalises_the_email_and_stores_only_a_hash(world: World) -> None:
    user = await world.accounts.register("  Ada@Example.ORG ", PASSWORD, " Ada ", "doctor")
    assert user.email == "ada@example.org"
    assert user.full_name == "Ada"
    assert user.role is Role.DOCTOR
    assert user.is_active
    assert user.password_hash != PASSWORD
    async with world.uow() as uow:
        assert await uow.users.get_by_email("ada@example.org") == user


async def test_every_bad_field_is_named_at_once(world: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        await world.accounts.register("nope", "short", "", "admin")
    assert [e.field for e in caught.value.errors] == ["email", "password", "full_name", "role"]
    async with world.uow() as uow:
        assert await uow.users.list() == []


async def test_a_taken_email_is_a_conflict_in_any_case(world: World) -> None:
    await world.accounts.register("grace@example.org", PASSWORD, "Grace", "patient")
    with pytest.raises(Conflict):
        await world.accounts.register("GRACE@example.org", PASSWORD, "Grace", "doctor")


async def test_admins_come_only_from_create_admin(world: World) -> None:
    with pytest.raises(InvalidInput):
        await world.accounts.register("boss@example.org", PASSWORD, "Boss", "admin")
    admin = await world.accounts.create_admin("boss@example.org", PASSWORD, "Boss")
    assert admin.role is Role.ADMIN


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("tulip-ferry", True),
        ("tulip-ferry-", False),
        (("tulip-ferry-" * 90)[:1024], False),
        (("tulip-ferry-" * 90)[:1025], True),
        ("QwertyQwerty", True),
        ("password123456", True),
        ("Letmein!!2024!", True),
        ("my-grace-hopper-pw", True),
        ("unrelated-phrase-here", False),
    ],
)
def test_password_policy(password: str, refused: bool) -> None:
    policy = PasswordPolicy(frozenset({"password", "letmein", "qwertyqwerty"}))
    assert (policy.problem(password, "grace") is not None) is refused


def test_a_very_short_email_name_does_not_refuse_everything() -> None:
    policy = PasswordPolicy(frozenset())
    assert policy.problem("a-perfectly-fine-pw", "a") is None


def test_the_shipped_list_has_thousands_of_entries() -> None:
    common = shipped_common_passwords()
    assert len(common) > 5000
    assert {"password", "123456789", "qwertyqwerty"} <= common
    policy = PasswordPolicy(common)
    for weak in ("123456789012", "Password2024!", "aaaaaaaaaaaa", "abababababab", "iloveyou1234"):
        assert policy.problem(weak) is not None, weak
    assert policy.problem("tulip-ferry-organ-57") is None


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("a@example.org", True),
        ("first.last+tag@sub.example.co.uk", True),
        ("no-at-sign", False),
        ("two@@example.org", False),
        ("dot.@example.org", False),
        ("x@localhost", False),
        ("x@-bad.org", False),
        ("space in@example.org", False),
        ("x" * 65 + "@example.org", False),
        ("x@" + "a" * 250 + ".org", False),
    ],
)
def test_email_syntax(raw: str, ok: bool) -> None:
    assert (email_problem(normalise_email(raw)) is None) is ok


async def test_only_admins_list_and_switch_users(world: World) -> None:
    patient = await world.user()
    doctor = await world.user("doctor")
    for caller in (patient, doctor):
        with pytest.raises(Forbidden):
            await world.accounts.list_users(world.actor(caller), None, 20, None)
        with pytest.raises(Forbidden):
            await world.accounts.set_active(world.actor(caller), patient.id, False)


async def test_users_page_oldest_first(world: World) -> None:
    admin = await world.accounts.create_admin("root@example.org", PASSWORD, "Root")
    made = []
    for _ in range(5):
        world.clock.advance(1)
        made.append(await world.user())
    seen = []
    cursor = None
    while True:
        page = await world.accounts.list_users(world.actor(admin), Role.PATIENT, 2, cursor)
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [u.id for u in seen] == [u.id for u in made]


async def test_deactivation_revokes_every_refresh_token_family(world: World) -> None:
    admin = await world.accounts.create_admin("root@example.org", PASSWORD, "Root")
    user = await world.user()
    first = await world.auth.login(user.email, PASSWORD)
    second = await world.auth.login(user.email, PASSWORD)
    changed = await world.accounts.set_active(world.actor(admin), user.id, False)
    assert not changed.is_active
    async with world.uow() as uow:
        for pair in (first, second):
            token = await uow.refresh_tokens.get_by_hash(token_digest(pair.refresh_token))
            assert token is not None
            family = await uow.refresh_tokens.get_family(token.family_id)
            assert family is not None
            assert family.revoked_at == world.clock.now()


async def test_activation_errors(world: World) -> None:
    admin = await world.accounts.create_admin("root@example.org", PASSWORD, "Root")
    with pytest.raises(Conflict):
        await world.accounts.set_active(world.actor(admin), admin.id, False)
    with pytest.raises(NotFound):
        await world.accounts.set_active(world.actor(admin), UUID(int=1), False)


async def test_the_directory_lists_only_active_doctors(world: World) -> None:
    admin = await world.accounts.create_admin("root@example.org", PASSWORD, "Root")
    patient = await world.user()
    active = await world.user("doctor")
    inactive = await world.user("doctor")
    await world.accounts.set_active(world.actor(admin), inactive.id, False)
    page = await world.accounts.list_doctors(world.actor(patient), 20, None)
    assert [d.id for d in page.items] == [active.id]
    assert page.next_cursor is None
