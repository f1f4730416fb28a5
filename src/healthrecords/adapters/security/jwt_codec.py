"""HS256 access tokens with a `kid`, so signing keys can be rotated.

`sid` names the session (refresh-token family) a token was issued under, so
ending the session stops its access tokens before they expire.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from healthrecords.config import KeyRing
from healthrecords.domain.errors import AuthenticationFailed
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.security import AccessClaims
from healthrecords.domain.users import Role

ALGORITHM = "HS256"
REQUIRED = ("sub", "sid", "role", "iat", "nbf", "exp", "jti", "iss", "aud", "typ")
INVALID = "The access token is missing, invalid or expired."


class JwtAccessTokenCodec:
    def __init__(
        self,
        keys: KeyRing,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        clock: Clock,
        leeway_seconds: int = 10,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._ttl = timedelta(seconds=ttl_seconds)
        self._clock = clock
        self._leeway = timedelta(seconds=leeway_seconds)

    def issue(self, subject: UUID, role: Role, session_id: UUID) -> tuple[str, AccessClaims]:
        now = self._clock.now().replace(microsecond=0)
        claims = AccessClaims(
            subject=subject,
            role=role,
            session_id=session_id,
            token_id=secrets.token_urlsafe(16),
            issued_at=now,
            expires_at=now + self._ttl,
        )
        payload = {
            "sub": str(subject),
            "sid": str(session_id),
            "role": role.value,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(claims.expires_at.timestamp()),
            "jti": claims.token_id,
            "iss": self._issuer,
            "aud": self._audience,
            "typ": "access",
        }
        kid = self._keys.current
        token = jwt.encode(payload, self._keys.keys[kid], algorithm=ALGORITHM, headers={"kid": kid})
        return token, claims

    def verify(self, token: str) -> AccessClaims:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise AuthenticationFailed(INVALID)
            # Times are checked below against the injected clock, not pyjwt's.
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={
                    "require": list(REQUIRED),
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
            now = self._clock.now()
            issued = _instant(payload["iat"])
            not_before = _instant(payload["nbf"])
            expires = _instant(payload["exp"])
            if payload["typ"] != "access" or now >= expires + self._leeway:
                raise AuthenticationFailed(INVALID)
            if now + self._leeway < not_before or now + self._leeway < issued:
                raise AuthenticationFailed(INVALID)
            return AccessClaims(
                subject=UUID(str(payload["sub"])),
                role=Role(payload["role"]),
                session_id=UUID(str(payload["sid"])),
                token_id=str(payload["jti"]),
                issued_at=issued,
                expires_at=expires,
            )
        # OverflowError and OSError: a time claim past what datetime or the C
        # library can hold (1e20), in a token signed with a real key.
        except (jwt.PyJWTError, ValueError, TypeError, KeyError, OverflowError, OSError) as exc:
            raise AuthenticationFailed(INVALID) from exc


def _instant(claim: object) -> datetime:
    if isinstance(claim, bool) or not isinstance(claim, int | float):
        raise TypeError("a time claim must be a number")
    return datetime.fromtimestamp(int(claim), UTC)
