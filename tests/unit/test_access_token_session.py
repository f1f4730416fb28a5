"""Access tokens name their session (`sid`); a token without one is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import jwt
import pytest

from healthrecords.config import KeyRing
from healthrecords.domain.errors import AuthenticationFailed
from healthrecords.domain.users import Role
from tests.unit.test_jwt_key_rotation import NEW, FixedClock, codec

RING = KeyRing(current="new", keys={"new": NEW})


def test_the_session_id_travels_in_the_token() -> None:
    tokens = codec(RING, FixedClock(datetime.now(UTC)))
    session = uuid4()
    token, claims = tokens.issue(uuid4(), Role.PATIENT, session)
    assert jwt.decode(token, options={"verify_signature": False})["sid"] == str(session)
    assert tokens.verify(token).session_id == session == claims.session_id


@pytest.mark.parametrize("sid", [None, "not-a-uuid", 42])
def test_a_token_without_a_valid_session_id_is_refused(sid: object) -> None:
    tokens = codec(RING, FixedClock(datetime.now(UTC)))
    token, _ = tokens.issue(uuid4(), Role.PATIENT, uuid4())
    payload = jwt.decode(token, options={"verify_signature": False})
    if sid is None:
        del payload["sid"]
    else:
        payload["sid"] = sid
    forged = jwt.encode(payload, NEW, algorithm="HS256", headers={"kid": "new"})
    with pytest.raises(AuthenticationFailed):
        tokens.verify(forged)
