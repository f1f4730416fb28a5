"""Verified access tokens are reused only while valid, and refusals never are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from healthrecords.domain.errors import AuthenticationFailed
from healthrecords.domain.ports.security import AccessClaims
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.verified_tokens import VerifiedTokens

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at


class CountingCodec:
    """Accepts the tokens it was given until they expire; counts verifications."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.valid: dict[str, AccessClaims] = {}
        self.calls = 0

    def issue(self, token: str, ttl: timedelta) -> AccessClaims:
        claims = AccessClaims(
            subject=uuid4(),
            role=Role.DOCTOR,
            session_id=uuid4(),
            token_id=token,
            issued_at=START,
            expires_at=START + ttl,
        )
        self.valid[token] = claims
        return claims

    def verify(self, token: str) -> AccessClaims:
        self.calls += 1
        claims = self.valid.get(token)
        if claims is None or self.clock.now() >= claims.expires_at:
            raise AuthenticationFailed("invalid")
        return claims


def make() -> tuple[Clock, CountingCodec, VerifiedTokens]:
    clock = Clock()
    codec = CountingCodec(clock)
    return clock, codec, VerifiedTokens(codec, clock, max_entries=2)  # type: ignore[arg-type]


def test_a_token_is_verified_once_until_it_expires() -> None:
    clock, codec, tokens = make()
    claims = codec.issue("a", timedelta(minutes=5))
    assert tokens.verify("a") == claims
    assert tokens.verify("a") == claims
    assert codec.calls == 1
    clock.at = START + timedelta(minutes=5)
    with pytest.raises(AuthenticationFailed):
        tokens.verify("a")
    assert codec.calls == 2


def test_a_refused_token_is_asked_again_every_time() -> None:
    _, codec, tokens = make()
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            tokens.verify("forged")
    assert codec.calls == 3


def test_only_the_same_token_string_is_reused() -> None:
    _, codec, tokens = make()
    codec.issue("a", timedelta(minutes=5))
    tokens.verify("a")
    with pytest.raises(AuthenticationFailed):
        tokens.verify("a ")
    with pytest.raises(AuthenticationFailed):
        tokens.verify("A")
    assert codec.calls == 3


def test_memory_stays_bounded() -> None:
    _, codec, tokens = make()
    for name in "abc":
        codec.issue(name, timedelta(minutes=5))
        tokens.verify(name)
    tokens.verify("a")  # forgotten when the third filled the memory
    assert codec.calls == 4
