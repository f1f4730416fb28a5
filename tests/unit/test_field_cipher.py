"""AES-256-GCM field cipher: bound to its row, its column and its key."""

from __future__ import annotations

import logging
import secrets
from uuid import uuid4

import pytest

from healthrecords.adapters.security.cipher import NONCE_BYTES, FieldCipher, SealedColumns
from healthrecords.adapters.security.data_keys import WrappedKey
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


ROW_FIELDS = SealedColumns.of("health_record", "title", "content")


def sealed_row(cipher: FieldCipher, key: WrappedKey | None = None) -> tuple[str, list[bytes]]:
    sealed = [
        cipher.encrypt(text, **{**WHERE, "field": field}, data_key=key)  # type: ignore[arg-type]
        for field, text in (("title", "Asthma"), ("content", "Salbutamol as needed"))
    ]
    return sealed[0][0], [blob for _, blob in sealed]


def test_a_row_opens_field_by_field_as_decrypt_does() -> None:
    cipher = FieldCipher(ring("k1"))
    key = cipher.data_keys.new(PATIENT, 1)
    for data_key in (None, key):
        kid, blobs = sealed_row(cipher, data_key)
        texts = cipher.decrypt_row(
            ROW_FIELDS, blobs, key_id=kid, row_id=ROW, patient_id=PATIENT, data_key=data_key
        )
        assert texts == ["Asthma", "Salbutamol as needed"]


@pytest.mark.parametrize(
    ("moved", "failing"),
    [
        ({"row_id": uuid4()}, "title"),
        ({"patient_id": uuid4()}, "title"),
        ({"key_id": "dk:2"}, "title"),
        # The title's blob in the content column: the title opens, the content fails.
        ({"swap": True}, "content"),
    ],
)
def test_a_row_whose_field_was_moved_or_rekeyed_fails_naming_the_field(
    moved: dict[str, object], failing: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    cipher = FieldCipher(ring("k1"))
    key = cipher.data_keys.new(PATIENT, 1)
    kid, blobs = sealed_row(cipher, key)
    where = {"key_id": kid, "row_id": ROW, "patient_id": PATIENT, "data_key": key}
    if moved.pop("swap", False):
        blobs = [blobs[0], blobs[0]]
    with pytest.raises(StoredDataUnreadable):
        cipher.decrypt_row(ROW_FIELDS, blobs, **{**where, **moved})  # type: ignore[arg-type]
    (logged,) = caplog.records
    assert logged.field == failing  # type: ignore[attr-defined]
    assert "Asthma" not in caplog.text
    assert "Salbutamol" not in caplog.text
