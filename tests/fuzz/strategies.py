"""Hypothesis strategies for the inputs schemathesis cannot aim at: keyset
cursors (opaque strings to the schema) and datetimes at the edges of what
Python, SQLite and PostgreSQL can hold."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from healthrecords.domain.instants import instant_problem

# RFC 3339 offsets are whole minutes; Python accepts up to ±23:59, and ±14:00
# are the widest real zones.
offsets = st.integers(min_value=-1439, max_value=1439).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
zones = st.one_of(st.just(UTC), st.just(timezone(timedelta(hours=14))), offsets)

# Weighted toward the first and last days Python can represent, where a
# non-zero offset pushes the UTC instant out of range.
_naive = st.one_of(
    st.datetimes(max_value=datetime(1, 1, 2, 23, 59, 59)),
    st.datetimes(min_value=datetime(9999, 12, 30)),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
    st.datetimes(),
)
aware_datetimes = st.builds(lambda at, tz: at.replace(tzinfo=tz), _naive, zones)
extreme_datetimes = st.one_of(aware_datetimes, _naive)


def usable(at: datetime) -> bool:
    return instant_problem(at) is None


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor(at: Any, ident: Any) -> str:
    return _token(json.dumps([at, ident]).encode())


uuids_text = st.uuids().map(str)
# (cursor, True when the API issued something just like it)
well_formed_cursors = st.builds(
    lambda at, ident: (_cursor(at.isoformat(), ident), usable(at)), extreme_datetimes, uuids_text
)
_junk_json: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30)
)
malformed_cursors = st.one_of(
    st.builds(_cursor, _junk_json, st.one_of(uuids_text, _junk_json)),
    st.builds(lambda at, ident: _cursor(at.isoformat(), ident), extreme_datetimes, _junk_json),
    st.lists(_junk_json, max_size=4).map(lambda v: _token(json.dumps(v).encode())),
    st.binary(min_size=1, max_size=120).map(_token),
    st.text(min_size=1, max_size=250),
).map(lambda token: (token, False))
cursors = st.one_of(well_formed_cursors, malformed_cursors)

# JWT time claims: integers up to 1e20 and beyond, floats, and non-numbers.
claim_times: st.SearchStrategy[Any] = st.one_of(
    st.integers(min_value=-(10**22), max_value=10**22),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e20, -1e20, 2**63, 253402300800, -62135596801]),
    st.text(max_size=10),
    st.none(),
)
