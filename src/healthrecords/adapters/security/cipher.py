"""AES-256-GCM for the health data columns (record title/content, annotation body).

Stored blob: 12-byte random nonce || ciphertext || 16-byte tag. The key id lives
in the row's `key_id` column. The associated data binds table, field, row id
and patient id, so a blob copied into another row (or another column) fails
authentication instead of decrypting as someone else's data. Kept versions of a
record also bind their version number: an old text cannot pass for another
version of the same record.
"""

from __future__ import annotations

import logging
import secrets
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from healthrecords.config import KeyRing
from healthrecords.domain.errors import StoredDataUnreadable

log = logging.getLogger(__name__)
NONCE_BYTES = 12
UNREADABLE = "A stored item could not be read. The incident has been logged."


def associated_data(
    table: str, field: str, row_id: UUID, patient_id: UUID, version: int | None = None
) -> bytes:
    parts = [b"hr1", table.encode(), field.encode(), row_id.bytes, patient_id.bytes]
    if version is not None:
        parts.append(b"v%d" % version)
    return b"|".join(parts)


class FieldCipher:
    def __init__(self, key_ring: KeyRing) -> None:
        self._ring = key_ring
        self._aeads = {kid: AESGCM(key) for kid, key in key_ring.keys.items()}

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
    ) -> tuple[str, bytes]:
        """Encrypt under the current key; returns (key_id, blob)."""
        kid = self._ring.current
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = associated_data(table, field, row_id, patient_id, version)
        return kid, nonce + self._aeads[kid].encrypt(nonce, plaintext.encode(), aad)

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
    ) -> str:
        aead = self._aeads.get(key_id)
        try:
            if aead is None:
                raise KeyError(key_id)
            nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
            aad = associated_data(table, field, row_id, patient_id, version)
            return aead.decrypt(nonce, sealed, aad).decode()
        except (InvalidTag, KeyError, ValueError, UnicodeDecodeError) as exc:
            # Identifiers only: never the blob or anything derived from it.
            log.error(
                "stored field failed to decrypt",
                extra={
                    "table": table,
                    "field": field,
                    "row_id": str(row_id),
                    "key_id": key_id,
                    "reason": "unknown key" if aead is None else type(exc).__name__,
                },
            )
            raise StoredDataUnreadable(UNREADABLE) from None
