"""Which client times and cursors the domain accepts (domain/instants.py, pagination.py)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from healthrecords.domain.errors import InvalidInput
from healthrecords.domain.instants import NO_TIMEZONE, OUT_OF_RANGE, instant_problem
from healthrecords.domain.pagination import Cursor

PLUS_14 = timezone(timedelta(hours=14))
MINUS_14 = timezone(timedelta(hours=-14))


@pytest.mark.parametrize(
    ("at", "problem"),
    [
        (datetime(2026, 1, 1), NO_TIMEZONE),
        (datetime(1, 1, 1, tzinfo=PLUS_14), OUT_OF_RANGE),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=MINUS_14), OUT_OF_RANGE),
        (datetime(1, 1, 1, tzinfo=UTC), None),
        (datetime(1, 1, 1, 14, tzinfo=PLUS_14), None),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), None),
    ],
)
def test_an_instant_is_aware_and_representable_in_utc(at: datetime, problem: str | None) -> None:
    assert instant_problem(at) == problem


def test_a_cursor_round_trips() -> None:
    cursor = Cursor(datetime(2026, 5, 1, 12, tzinfo=UTC), uuid4())
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "parts",
    [
        ["2026-01-01T00:00:00", str(uuid4())],
        ["0001-01-01T00:00:00+14:00", str(uuid4())],
        ["2026-01-01T00:00:00+00:00", False],
        [0, str(uuid4())],
        ["2026-01-01T00:00:00+00:00"],
    ],
)
def test_a_cursor_the_api_could_not_have_issued_is_invalid_input(parts: list[object]) -> None:
    token = base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")
    with pytest.raises(InvalidInput) as raised:
        Cursor.decode(token)
    assert [e.field for e in raised.value.errors] == ["cursor"]
