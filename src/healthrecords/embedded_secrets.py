"""Embedded mode's generated keys, kept in <data dir>/secrets.json (mode 0600).

Created on first start; rewritten only by `rotate-keys`, whole and atomically
(a temporary file renamed over it), so a crash leaves the old file or the new.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Final

from healthrecords.private_files import exposed_secrets_file

SECRETS_FILE: Final = "secrets.json"
KEY_BYTES: Final = 32

log = logging.getLogger(__name__)


class ExposedSecrets(ValueError):
    """The secrets file is readable by others; the message says what to do."""


def encode(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def new_key() -> str:
    return encode(secrets.token_bytes(KEY_BYTES))


def load_or_create(data_dir: Path) -> dict[str, str]:
    path = data_dir / SECRETS_FILE
    if path.exists():
        if problem := exposed_secrets_file(path):
            raise ExposedSecrets(problem)
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = {"jwt_keys": f"jwt1:{new_key()}", "encryption_keys": f"enc1:{new_key()}"}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(created, fh)
    log.warning("generated new embedded-mode secrets", extra={"path": str(path)})
    return created


def next_key_id(ring: str, prefix: str = "enc") -> str:
    """`enc<n+1>` after the highest `enc<n>` in a ring's text."""
    ids = [part.partition(":")[0] for part in ring.split(",") if part.strip()]
    numbers = [int(m.group(1)) for i in ids if (m := re.fullmatch(rf"{prefix}(\d+)", i.strip()))]
    return f"{prefix}{max(numbers, default=0) + 1}"


def store_encryption_keys(data_dir: Path, ring: str) -> None:
    """Replace the encryption key ring in secrets.json; the JWT keys stay."""
    path = data_dir / SECRETS_FILE
    stored = load_or_create(data_dir)
    if stored.get("encryption_keys") == ring:
        return
    stored["encryption_keys"] = ring
    temporary = path.with_name(f".{SECRETS_FILE}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(stored, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)
    log.warning(
        "stored a new encryption key ring in the embedded secrets file",
        extra={"path": str(path), "current": ring.partition(":")[0]},
    )
