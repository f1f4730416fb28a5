from __future__ import annotations

from typing import Protocol

from healthrecords.domain.login_limits import LoginAttempt


class LoginAttemptLimiter(Protocol):
    """Failed-login counters (see domain/login_limits.py), shared by every replica.

    Implementations raise Unavailable when they cannot count: login fails
    closed rather than allowing unlimited guesses.
    """

    async def reserve(self, attempt: LoginAttempt) -> int:
        """Atomically count the attempt as a failure before it is verified.

        0 when reserved; otherwise the seconds until this address may try
        this account again, and nothing is counted.
        """
        ...

    async def succeeded(self, attempt: LoginAttempt) -> None:
        """The reserved attempt was right: forget this address's failures,
        give the account-wide reservation back, and remember the address."""
        ...

    async def cancel(self, attempt: LoginAttempt) -> None:
        """The reserved attempt was never decided: give both reservations back."""
        ...
