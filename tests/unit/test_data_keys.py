"""Data keys: wrapped per patient, unwrapped only briefly in memory."""

from __future__ import annotations

import dataclasses
import secrets
from uuid import uuid4

import pytest

from healthrecords.adapters.security.data_keys import DataKeys, MasterKeyMissing
from healthrecords.config import KeyRing


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def ring(*kids: str) -> KeyRing:
    return KeyRing(current=kids[0], keys={k: secrets.token_bytes(32) for k in kids})


def test_an_unwrapped_key_is_kept_no_longer_than_the_ttl() -> None:
    clock = Clock()
    keys = DataKeys(ring("m1"), ttl=60, now=clock)
    key = keys.new(uuid4(), 1)
    first = keys.aead(key)
    clock.now = 59.9
    assert keys.aead(key) is first
    clock.now = 60.1
    assert keys.aead(key) is not first  # unwrapped again


def test_the_cache_holds_at_most_its_capacity() -> None:
    keys = DataKeys(ring("m1"), ttl=60, capacity=3)
    for _ in range(10):
        keys.aead(keys.new(uuid4(), 1))
    assert len(keys._open) == 3


def test_a_wrapped_key_is_bound_to_its_patient_and_generation() -> None:
    keys = DataKeys(ring("m1"), ttl=60)
    key = keys.new(uuid4(), 1)
    with pytest.raises(MasterKeyMissing):
        keys.aead(dataclasses.replace(key, patient_id=uuid4()))
    with pytest.raises(MasterKeyMissing):
        keys.aead(dataclasses.replace(key, ref="dk:2"))


def test_rewrap_keeps_the_key_and_changes_the_master() -> None:
    old = ring("m1")
    new_key = secrets.token_bytes(32)
    both = KeyRing(current="m2", keys={"m2": new_key, **old.keys})
    key = DataKeys(old, ttl=0).new(uuid4(), 1)
    moved = DataKeys(both, ttl=0).rewrap(key)
    assert moved.wrap_key_id == "m2"
    only_new = DataKeys(KeyRing(current="m2", keys={"m2": new_key}), ttl=0)
    assert only_new._unwrap(moved) == DataKeys(old, ttl=0)._unwrap(key)
    with pytest.raises(MasterKeyMissing, match="'m1' is not configured"):
        only_new.check(key)
