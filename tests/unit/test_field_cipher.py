"""AES-256-GCM field cipher: bound to its row, its column and its key."""

from __future__ import annotations

import logging
import secrets
from uuid import uuid4

import pytest

from healthrecords.adapters.security.cipher import NONCE_BYTES, FieldCipher
from healthrecords.config import KeyRing
from healthrecords.domain.errors import StoredDataUnreadable

ROW, PATIENT = uuid4(), uuid4()
WHERE = {"table": "health_record", "field": "title", "row_id": ROW, "patient_id": PATIENT}


def ring(*ids: str) -> KeyRing:
    return KeyRing(current=ids[0], keys={i: secrets.token_bytes(32) for i in ids})


def test_round_trip_with_a_fresh_nonce_each_time() -> None:
    cipher = FieldCipher(ring("k1"))
    kid, first = cipher.encrypt("Type 2 diabetes", **WHERE)  # type: ignore[arg-type]
    _, second = cipher.encrypt("Type 2 diabetes", **WHERE)  # type: ignore[arg-type]
    assert kid == "k1"
    assert first[:NONCE_BYTES] != second[:NONCE_BYTES]
    assert b"diabetes" not in first
    assert cipher.decrypt(first, key_id=kid, **WHERE) == "Type 2 diabetes"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "moved",
    [
        {"row_id": uuid4()},
        {"patient_id": uuid4()},
        {"field": "content"},
        {"table": "annotation"},
    ],
)
def test_a_ciphertext_moved_anywhere_else_fails(
    moved: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    cipher = FieldCipher(ring("k1"))
    kid, blob = cipher.encrypt("HIV positive", **WHERE)  # type: ignore[arg-type]
    with pytest.raises(StoredDataUnreadable) as caught:
        cipher.decrypt(blob, key_id=kid, **{**WHERE, **moved})  # type: ignore[arg-type]
    assert "HIV" not in str(caught.value)
    assert "HIV" not in caplog.text


def test_tampered_truncated_or_unknown_key_fails(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    cipher = FieldCipher(ring("k1"))
    kid, blob = cipher.encrypt("x", **WHERE)  # type: ignore[arg-type]
    flipped = blob[:-1] + bytes([blob[-1] ^ 1])
    for bad, key_id in ((flipped, kid), (blob[:5], kid), (blob, "k9")):
        with pytest.raises(StoredDataUnreadable):
            cipher.decrypt(bad, key_id=key_id, **WHERE)  # type: ignore[arg-type]
    assert len(caplog.records) == 3


def test_older_keys_still_decrypt_and_new_writes_use_the_current_one() -> None:
    old = ring("k1")
    _, blob = FieldCipher(old).encrypt("old text", **WHERE)  # type: ignore[arg-type]
    both = KeyRing(current="k2", keys={"k2": secrets.token_bytes(32), **old.keys})
    cipher = FieldCipher(both)
    assert cipher.decrypt(blob, key_id="k1", **WHERE) == "old text"  # type: ignore[arg-type]
    assert cipher.encrypt("new", **WHERE)[0] == "k2"  # type: ignore[arg-type]
    assert not cipher.is_current("k1")
