from __future__ import annotations

from typing import Protocol


class LoginAttemptLimiter(Protocol):
    """Failed-login counters per account, shared by every replica.

    `account_key` is an opaque digest of the normalised email, so no store
    sees addresses. Implementations raise Unavailable when they cannot count:
    login fails closed rather than allowing unlimited guesses.
    """

    async def retry_after(self, account_key: str) -> int:
        """Seconds until the account may try again; 0 when it may now."""
        ...

    async def record_failure(self, account_key: str) -> None: ...

    async def reset(self, account_key: str) -> None:
        """Forget the failures after a successful login."""
        ...
