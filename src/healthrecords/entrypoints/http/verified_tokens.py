"""Access tokens this process has verified, reused until they expire.

Verifying an HS256 token (two base64 and JSON decodes and an HMAC) was ~9%
of a record read's CPU in py-spy. A token verified once stays valid, byte
for byte, until its `exp`: entries are keyed by the whole token string, so
only the same signed bytes hit one, and an entry answers only while the
clock is before `exp` (after that the codec decides again, with its
leeway). Signing keys change only with a restart. A refused token is never
remembered. What follows the signature (the stored user's role and
activation, ActiveUsers) is still checked on every request; a check that
must run per request belongs there, not inside the codec's `verify`.
"""

from __future__ import annotations

from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.security import AccessClaims, AccessTokenCodec

# Bounds memory, not correctness: past this many, the memory starts afresh.
MAX_ENTRIES = 10_000


class VerifiedTokens:
    def __init__(
        self, codec: AccessTokenCodec, clock: Clock, max_entries: int = MAX_ENTRIES
    ) -> None:
        self._codec = codec
        self._clock = clock
        self._max_entries = max_entries
        self._verified: dict[str, AccessClaims] = {}

    def verify(self, token: str) -> AccessClaims:
        """The token's claims; AuthenticationFailed as the codec raises it."""
        claims = self._verified.get(token)
        if claims is not None and self._clock.now() < claims.expires_at:
            return claims
        claims = self._codec.verify(token)
        if len(self._verified) >= self._max_entries:
            self._verified.clear()
        self._verified[token] = claims
        return claims
