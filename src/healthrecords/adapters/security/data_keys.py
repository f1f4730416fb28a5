"""Per-patient data keys, kept only wrapped by a master key.

A data key is 32 random bytes. Stored, it is `nonce || AES-256-GCM(master,
key, aad)` beside the id of the master key that wrapped it; the associated
data binds the patient and the key's reference, so a wrapped key copied to
another patient (or generation) fails to unwrap. Unwrapped keys live only in
this process's memory, each for at most `ttl` seconds and `capacity` at once;
they are never written anywhere. The cache is keyed by the wrapped bytes, so
a destroyed key can never be served from it once the row is gone: reads fetch
the wrapped key with the row, and a missing row reads as nothing there.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from healthrecords.config import KeyRing

NONCE_BYTES = 12
DATA_KEY_BYTES = 32
# Master key ids never contain ':' (config.parse_key_ring splits on it), so a
# row's key_id with this prefix names a data key and nothing else.
REF_PREFIX = "dk:"


def data_key_ref(generation: int) -> str:
    return f"{REF_PREFIX}{generation}"


def is_data_key_ref(key_id: str) -> bool:
    return key_id.startswith(REF_PREFIX)


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A patient's data key as stored: wrapped, with the wrapping key's id."""

    patient_id: UUID
    ref: str  # what a row's key_id holds: "dk:<generation>"
    wrap_key_id: str
    wrapped: bytes


class MasterKeyMissing(Exception):
    """The wrapping key is not configured, or is not the key that wrapped it."""


def _wrap_aad(patient_id: UUID, ref: str) -> bytes:
    return b"|".join([b"hr-dk1", patient_id.bytes, ref.encode()])


class DataKeys:
    """Wraps, rewraps and (with a short-lived cache) unwraps data keys."""

    def __init__(
        self,
        ring: KeyRing,
        ttl: float,
        capacity: int = 10_000,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ring = ring
        self._masters = {kid: AESGCM(key) for kid, key in ring.keys.items()}
        self._ttl = ttl
        self._capacity = capacity
        self._now = now
        self._open: OrderedDict[tuple[UUID, str, str, bytes], tuple[AESGCM, float]] = OrderedDict()

    @property
    def current_master(self) -> str:
        return self._ring.current

    def wrap(self, patient_id: UUID, ref: str, key: bytes) -> WrappedKey:
        kid = self._ring.current
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._masters[kid].encrypt(nonce, key, _wrap_aad(patient_id, ref))
        return WrappedKey(patient_id, ref, kid, nonce + sealed)

    def new(self, patient_id: UUID, generation: int) -> WrappedKey:
        return self.wrap(patient_id, data_key_ref(generation), secrets.token_bytes(DATA_KEY_BYTES))

    def rewrap(self, key: WrappedKey) -> WrappedKey:
        """The same data key, wrapped by the current master key."""
        return self.wrap(key.patient_id, key.ref, self._unwrap(key))

    def aead(self, key: WrappedKey) -> AESGCM:
        slot = (key.patient_id, key.ref, key.wrap_key_id, key.wrapped)
        now = self._now()
        cached = self._open.get(slot)
        if cached is not None and cached[1] > now:
            return cached[0]
        aead = AESGCM(self._unwrap(key))
        self._open[slot] = (aead, now + self._ttl)
        self._open.move_to_end(slot)
        while len(self._open) > self._capacity:
            self._open.popitem(last=False)
        return aead

    def check(self, key: WrappedKey) -> None:
        """Raises MasterKeyMissing unless `key` unwraps (nothing is cached)."""
        self._unwrap(key)

    def _unwrap(self, key: WrappedKey) -> bytes:
        master = self._masters.get(key.wrap_key_id)
        if master is None:
            raise MasterKeyMissing(f"master key {key.wrap_key_id!r} is not configured")
        nonce, sealed = key.wrapped[:NONCE_BYTES], key.wrapped[NONCE_BYTES:]
        try:
            return master.decrypt(nonce, sealed, _wrap_aad(key.patient_id, key.ref))
        except (InvalidTag, ValueError):
            raise MasterKeyMissing(
                f"master key {key.wrap_key_id!r} did not unwrap a data key: wrong key?"
            ) from None
