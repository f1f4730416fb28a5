"""The per-process memory of active users forgets each answer within its bound."""

from __future__ import annotations

from uuid import uuid4

from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.active_users import ActiveUsers


class FakeMonotonic:
    def __init__(self) -> None:
        self.at = 100.0

    def __call__(self) -> float:
        return self.at


def test_an_answer_lasts_the_bound_counted_from_the_read() -> None:
    clock = FakeMonotonic()
    active = ActiveUsers(ttl=2.0, monotonic=clock)
    user = uuid4()
    read_at = active.now()
    clock.at += 0.5  # the row took a while to arrive
    active.remember(user, Role.DOCTOR, read_at)

    clock.at = read_at + 1.99
    assert active.role_of(user) is Role.DOCTOR
    clock.at = read_at + 2.0
    assert active.role_of(user) is None
    assert active.role_of(user) is None


def test_an_unknown_user_is_not_remembered() -> None:
    assert ActiveUsers().role_of(uuid4()) is None


def test_the_cap_bounds_memory() -> None:
    active = ActiveUsers(max_entries=3)
    users = [uuid4() for _ in range(4)]
    for user in users:
        active.remember(user, Role.PATIENT, active.now())
    assert sum(active.role_of(u) is not None for u in users) <= 3
    assert active.role_of(users[-1]) is Role.PATIENT
