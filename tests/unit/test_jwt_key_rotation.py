"""Signing keys rotate: tokens carry `kid`, any configured key verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import jwt
import pytest

from healthrecords.adapters.security.jwt_codec import JwtAccessTokenCodec
from healthrecords.config import KeyRing
from healthrecords.domain.errors import AuthenticationFailed
from healthrecords.domain.users import Role

OLD = b"o" * 32
NEW = b"n" * 32


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def codec(ring: KeyRing, clock: FixedClock) -> JwtAccessTokenCodec:
    return JwtAccessTokenCodec(ring, "hr", "hr-api", 300, clock)


def test_tokens_signed_before_a_rotation_still_verify_after_it() -> None:
    clock = FixedClock(datetime.now(UTC))
    before = codec(KeyRing(current="old", keys={"old": OLD}), clock)
    after = codec(KeyRing(current="new", keys={"new": NEW, "old": OLD}), clock)
    old_token, _ = before.issue(uuid4(), Role.PATIENT, uuid4())
    new_token, claims = after.issue(uuid4(), Role.DOCTOR, uuid4())

    assert jwt.get_unverified_header(new_token)["kid"] == "new"
    assert after.verify(old_token).role is Role.PATIENT
    assert after.verify(new_token) == claims


def test_a_retired_key_no_longer_verifies() -> None:
    clock = FixedClock(datetime.now(UTC))
    old_token, _ = codec(KeyRing(current="old", keys={"old": OLD}), clock).issue(
        uuid4(), Role.PATIENT, uuid4()
    )
    retired = codec(KeyRing(current="new", keys={"new": NEW}), clock)
    with pytest.raises(AuthenticationFailed):
        retired.verify(old_token)


def test_a_kid_naming_another_key_fails() -> None:
    clock = FixedClock(datetime.now(UTC))
    ring = KeyRing(current="new", keys={"new": NEW, "old": OLD})
    token, _ = codec(ring, clock).issue(uuid4(), Role.PATIENT, uuid4())
    payload = jwt.decode(token, NEW, algorithms=["HS256"], audience="hr-api")
    forged = jwt.encode(payload, NEW, algorithm="HS256", headers={"kid": "old"})
    with pytest.raises(AuthenticationFailed):
        codec(ring, clock).verify(forged)


def test_expiry_follows_the_injected_clock() -> None:
    clock = FixedClock(datetime.now(UTC))
    tokens = codec(KeyRing(current="k", keys={"k": NEW}), clock)
    token, _ = tokens.issue(uuid4(), Role.PATIENT, uuid4())
    clock.at += timedelta(seconds=299)
    assert tokens.verify(token).role is Role.PATIENT
    clock.at += timedelta(seconds=60)
    with pytest.raises(AuthenticationFailed):
        tokens.verify(token)
