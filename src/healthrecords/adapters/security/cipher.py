"""AES-256-GCM for the health data columns (record title/content, annotation body).

Stored blob: 12-byte random nonce || ciphertext || 16-byte tag. The key id lives
in the row's `key_id` column: "dk:<n>" for the patient's data key (envelope
encryption, data_keys.py), or a master key id for rows written before data
keys (still readable until `rotate-keys` rewrites them). The associated data
binds table, field, row id and patient id, so a blob copied into another row
(or another column) fails authentication instead of decrypting as someone
else's data. Kept versions of a record also bind their version number: an old
text cannot pass for another version of the same record.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from healthrecords.adapters.security.data_keys import (
    DataKeys,
    MasterKeyMissing,
    WrappedKey,
    is_data_key_ref,
)
from healthrecords.config import KeyRing
from healthrecords.domain.errors import StoredDataUnreadable

log = logging.getLogger(__name__)
NONCE_BYTES = 12
UNREADABLE = "A stored item could not be read. The incident has been logged."


@dataclass(frozen=True, slots=True)
class SealedColumns:
    """A table's sealed fields, each with the head of its associated data
    (`associated_data` up to the row id), built once per table."""

    table: str
    fields: tuple[str, ...]
    heads: tuple[bytes, ...]

    @classmethod
    def of(cls, table: str, *fields: str) -> SealedColumns:
        heads = tuple(b"|".join([b"hr1", table.encode(), f.encode(), b""]) for f in fields)
        return cls(table, fields, heads)


def associated_data(
    table: str, field: str, row_id: UUID, patient_id: UUID, version: int | None = None
) -> bytes:
    parts = [b"hr1", table.encode(), field.encode(), row_id.bytes, patient_id.bytes]
    if version is not None:
        parts.append(b"v%d" % version)
    return b"|".join(parts)


class FieldCipher:
    def __init__(self, key_ring: KeyRing, data_key_ttl: float = 60.0) -> None:
        self._ring = key_ring
        self._aeads = {kid: AESGCM(key) for kid, key in key_ring.keys.items()}
        self.data_keys = DataKeys(key_ring, data_key_ttl)

    @property
    def current_key_id(self) -> str:
        return self._ring.current

    def is_current(self, key_id: str) -> bool:
        return key_id == self._ring.current

    def encrypt(
        self,
        plaintext: str,
        *,
        table: str,
        field: str,
        row_id: UUID,
        patient_id: UUID,
        version: int | None = None,
        data_key: WrappedKey | None = None,
    ) -> tuple[str, bytes]:
        """Encrypt under the patient's data key (or, without one, the current
        master key: idempotency answers); returns (key_id, blob)."""
        if data_key is not None:
            kid, aead = data_key.ref, self.data_keys.aead(data_key)
        else:
            kid = self._ring.current
            aead = self._aeads[kid]
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = associated_data(table, field, row_id, patient_id, version)
        return kid, nonce + aead.encrypt(nonce, plaintext.encode(), aad)

    def decrypt(
        self,
        blob: bytes,
        *,
        key_id: str,
        table: str,
        field: str,
        row_id: UUID,
        patient_id: UUID,
        version: int | None = None,
        data_key: WrappedKey | None = None,
    ) -> str:
        aead: AESGCM | None = None
        try:
            aead = self._opening_key(key_id, data_key)
            nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
            aad = associated_data(table, field, row_id, patient_id, version)
            return aead.decrypt(nonce, sealed, aad).decode()
        except (InvalidTag, KeyError, ValueError, UnicodeDecodeError, MasterKeyMissing) as exc:
            _refuse(table, field, row_id, key_id, exc, aead)

    def decrypt_row(
        self,
        columns: SealedColumns,
        blobs: Sequence[bytes],
        *,
        key_id: str,
        row_id: UUID,
        patient_id: UUID,
        data_key: WrappedKey | None = None,
    ) -> list[str]:
        """`decrypt` of each of a row's sealed fields (no version): the same
        checks, with the key looked up and the associated data's row part
        built once per row instead of once per field."""
        aead: AESGCM | None = None
        texts: list[str] = []
        try:
            aead = self._opening_key(key_id, data_key)
            row = b"|".join([row_id.bytes, patient_id.bytes])
            for head, blob in zip(columns.heads, blobs, strict=True):
                aad = head + row
                texts.append(aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad).decode())
            return texts
        except (InvalidTag, KeyError, ValueError, UnicodeDecodeError, MasterKeyMissing) as exc:
            # The field named is the first one not opened.
            field = columns.fields[min(len(texts), len(columns.fields) - 1)]
            _refuse(columns.table, field, row_id, key_id, exc, aead)

    def _opening_key(self, key_id: str, data_key: WrappedKey | None) -> AESGCM:
        """The key that opens a row sealed under `key_id`; KeyError if none."""
        if is_data_key_ref(key_id):
            # The row's data key, fetched with it: it must be this row's.
            if data_key is not None and data_key.ref == key_id:
                return self.data_keys.aead(data_key)
            raise KeyError(key_id)
        return self._aeads[key_id]


def _refuse(
    table: str, field: str, row_id: UUID, key_id: str, exc: Exception, aead: AESGCM | None
) -> NoReturn:
    # Identifiers only: never the blob or anything derived from it.
    log.error(
        "stored field failed to decrypt",
        extra={
            "table": table,
            "field": field,
            "row_id": str(row_id),
            "key_id": key_id,
            "reason": str(exc)
            if isinstance(exc, MasterKeyMissing)
            else "unknown key"
            if aead is None
            else type(exc).__name__,
        },
    )
    raise StoredDataUnreadable(UNREADABLE) from None
