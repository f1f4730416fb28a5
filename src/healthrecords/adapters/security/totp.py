"""RFC 6238 TOTP (6 digits, 30 s, SHA-1, one step either side) with pyotp."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

WINDOW = 1


class PyotpTotp:
    def new_secret(self) -> str:
        # 32 base32 characters: 160 bits, the SHA-1 block RFC 4226 recommends.
        return pyotp.random_base32(32)

    def uri(self, secret: str, account: str, issuer: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        totp = pyotp.TOTP(secret)
        step = totp.timecode(at)
        for offset in range(-WINDOW, WINDOW + 1):
            if hmac.compare_digest(totp.at(at, counter_offset=offset), code):
                return step + offset
        return None
