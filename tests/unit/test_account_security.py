"""Sessions, two-factor and password reset on memory fakes (the domain alone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pyotp
import pytest

from healthrecords.adapters.security.totp import PyotpTotp
from healthrecords.domain.errors import AuthenticationFailed, InvalidInput
from healthrecords.domain.mail import OutgoingMail
from healthrecords.domain.passwords import PasswordPolicy
from healthrecords.domain.services.password_reset import PasswordResetService
from healthrecords.domain.services.second_factor import SecondFactorDue, SecondFactorService
from healthrecords.domain.services.sessions import SessionService
from healthrecords.domain.services.token_issuer import TokenIssuer, TokenPair
from healthrecords.domain.services.two_factor import TwoFactorService
from healthrecords.domain.users import Role
from tests.unit.auth_world import World

PASSWORD = "Long-Enough-Secret"


@dataclass
class Outbox:
    sent: list[OutgoingMail] = field(default_factory=list)

    async def enqueue(self, mail: OutgoingMail) -> None:
        self.sent.append(mail)


@dataclass
class Security:
    world: World = field(default_factory=World)
    outbox: Outbox = field(default_factory=Outbox)

    def __post_init__(self) -> None:
        w = self.world
        self.two_factor = TwoFactorService(
            uow=w.uow,
            clock=w.clock,
            totp=PyotpTotp(),
            hasher=w.hasher,
            attempts=w.attempts,
            issuer="hr",
            mail=self.outbox,
        )
        self.second = SecondFactorService(
            uow=w.uow,
            clock=w.clock,
            totp=PyotpTotp(),
            attempts=w.attempts,
            tokens=TokenIssuer(w.codec, timedelta(days=7)),
        )
        self.sessions = SessionService(w.uow, w.clock, timedelta(days=7), frozenset({Role.ADMIN}))
        self.resets = PasswordResetService(
            uow=w.uow,
            hasher=w.hasher,
            clock=w.clock,
            policy=PasswordPolicy(frozenset({"password"})),
            mail=self.outbox,
        )

    def code(self, secret: str) -> str:
        return pyotp.TOTP(secret).at(self.world.clock.now())


async def test_two_factor_login_needs_a_code_accepted_once() -> None:
    s = Security()
    user = await s.world.user()
    actor = s.world.actor(user)
    enrolment = await s.two_factor.enrol(actor)
    codes = await s.two_factor.confirm(actor, s.code(enrolment.secret))
    assert len(codes) == 10
    assert [m.subject for m in s.outbox.sent] == ["Two-factor sign-in is on"]
    s.world.clock.advance(30)
    due = await s.world.auth.login(user.email, PASSWORD)
    assert isinstance(due, SecondFactorDue)
    code = s.code(enrolment.secret)
    assert isinstance(await s.second.verify(due.mfa_token, code), TokenPair)
    again = await s.world.auth.login(user.email, PASSWORD)
    assert isinstance(again, SecondFactorDue)
    with pytest.raises(AuthenticationFailed):
        await s.second.verify(again.mfa_token, code)
    assert isinstance(await s.second.verify(again.mfa_token, codes[0]), TokenPair)


async def test_standing_follows_the_session_and_the_enrolment_rule() -> None:
    s = Security()
    user = await s.world.user()
    pair = await s.world.auth.login(user.email, PASSWORD)
    assert isinstance(pair, TokenPair)
    claims = s.world.codec.verify(pair.access_token)
    standing = await s.sessions.standing(claims)
    assert standing is not None
    assert not standing.enrolment_due
    other = await s.world.auth.login(user.email, PASSWORD)
    assert isinstance(other, TokenPair)
    kept = s.world.codec.verify(other.access_token).session_id
    sockets = [(user.id, claims.session_id), (user.id, kept)]
    assert await s.sessions.live(sockets) == set(sockets)
    await s.sessions.end(s.world.actor(user), claims.session_id)
    assert await s.sessions.standing(claims) is None
    # The sockets' watch: the ended session no longer holds, the other does.
    assert await s.sessions.live(sockets) == {(user.id, kept)}

    admin = await s.world.accounts.create_admin("boss@example.org", PASSWORD, "Boss")
    pair = await s.world.auth.login(admin.email, PASSWORD)
    assert isinstance(pair, TokenPair)
    due = await s.sessions.standing(s.world.codec.verify(pair.access_token))
    assert due is not None
    assert due.enrolment_due


async def test_a_reset_mails_a_one_time_token_and_ends_every_session() -> None:
    s = Security()
    user = await s.world.user()
    pair = await s.world.auth.login(user.email, PASSWORD)
    assert isinstance(pair, TokenPair)
    await s.resets.request("nobody@example.org")
    assert s.outbox.sent == []
    await s.resets.request(user.email.upper())
    (mail,) = s.outbox.sent
    token = mail.body.split("good once):\n\n", 1)[1].split("\n", 1)[0]
    await s.resets.confirm(token, "A-New-Long-Secret")
    ended = (user.id, s.world.codec.verify(pair.access_token).session_id)
    assert await s.sessions.live([ended]) == set()
    with pytest.raises(InvalidInput):
        await s.resets.confirm(token, "Another-Long-Secret")
    assert isinstance(await s.world.auth.login(user.email, "A-New-Long-Secret"), TokenPair)
