"""Two-factor sign-in: a TOTP credential (RFC 6238), recovery codes and the
challenge a password-verified login must answer with a code."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

RECOVERY_CODES = 10
# 120 random bits each: high enough entropy for a fast digest (ASVS 5.0, 6.5).
RECOVERY_CODE_BYTES = 15
CHALLENGE_SECONDS = 300
CHALLENGE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class TotpCredential:
    id: UUID
    user_id: UUID
    secret: str
    created_at: datetime
    confirmed_at: datetime | None = None
    last_step: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class MfaChallenge:
    id: UUID
    user_id: UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    used_at: datetime | None = None


def new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_recovery_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def is_totp_code(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()
