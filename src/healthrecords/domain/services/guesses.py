"""One guess at an account's secret (a password or a second-factor code),
counted by the login limiter like a login: reserved before it is checked, so
concurrent guesses cannot all be checked against one count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from healthrecords.domain.errors import TooManyAttempts
from healthrecords.domain.login_limits import LoginAttempt
from healthrecords.domain.ports.login_attempts import LoginAttemptLimiter

TOO_MANY_FAILURES = "Too many failed logins for this account; try again later."


async def guess(
    attempts: LoginAttemptLimiter,
    email: str,
    address: str | None,
    check: Callable[[], Awaitable[bool]],
    on_locked: Callable[[], Awaitable[None]] | None = None,
    settle: Callable[[], bool] = lambda: True,
) -> bool:
    """True when `check` says the guess is right; a wrong one stays counted.

    A right guess is settled (forgotten) unless `settle()` says it is only
    the first of two factors: it then stays counted until the second one is
    right, so a known password cannot reset the count of wrong codes.
    """
    attempt = LoginAttempt.of(email, address or "unknown")
    wait = await attempts.reserve(attempt)
    if wait > 0:
        if on_locked is not None:
            await on_locked()
        raise TooManyAttempts(TOO_MANY_FAILURES, wait)
    try:
        right = await check()
    except Exception:
        # Undecided (an outage): the guess was not checked, so it is given
        # back. A cancelled request keeps it: failing closed is safer.
        await attempts.cancel(attempt)
        raise
    if right and settle():
        await attempts.succeeded(attempt)
    return right
