"""How many failed logins are verified, per account and client address.

The rule (both stores implement it; tests/integration/test_login_attempt_limiters.py
holds them to the same behaviour):

- Per (account, client address): `per_address` failures per `window_seconds`
  (10 per 15 minutes), then that address answers 429 for this account until
  its window ends. Another address is not affected, so nobody can lock the
  owner out from elsewhere.
- Per account, across every address: `per_account` failures per
  `account_window_seconds` (100 per hour, NIST SP 800-63B's ceiling). Over it,
  only addresses that signed in to the account successfully within
  `known_address_seconds` (30 days) are still let through, each under its own
  per-address count; every other address answers 429 until the window ends.
- An attempt is reserved, counted as a failure, before its password is
  verified, so concurrent guesses cannot all be verified. A success gives the
  account-wide reservation back, forgets that address's failures and marks
  the address known; an attempt that was never decided (an outage) gives both
  back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from healthrecords.domain.emails import normalise_email


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginLimits:
    per_address: int = 10
    window_seconds: int = 15 * 60
    per_account: int = 100
    account_window_seconds: int = 60 * 60
    known_address_seconds: int = 30 * 24 * 3600
    # Known addresses kept per account (the most recent ones).
    known_addresses_kept: int = 20


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """Opaque digests: no store sees the email or the client address itself."""

    account: str
    address: str

    @classmethod
    def of(cls, email: str, client_address: str) -> LoginAttempt:
        return cls(account_key(email), _digest("address:" + client_address))


def account_key(email: str) -> str:
    return _digest(normalise_email(email))


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
