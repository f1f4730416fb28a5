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
            if is_data_key_ref(key_id):
                # The row's data key, fetched with it: it must be this row's.
                if data_key is not None and data_key.ref == key_id:
                    aead = self.data_keys.aead(data_key)
            else:
                aead = self._aeads.get(key_id)
            if aead is None:
                raise KeyError(key_id)
            nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
            aad = associated_data(table, field, row_id, patient_id, version)
            return aead.decrypt(nonce, sealed, aad).decode()
        except (InvalidTag, KeyError, ValueError, UnicodeDecodeError, MasterKeyMissing) as exc:
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
