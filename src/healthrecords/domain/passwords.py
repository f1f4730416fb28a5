"""Password policy: length, a shipped list of common passwords, no email local part.

`data/common-passwords.txt.gz` is the list Django ships (about 20,000 common
passwords, lower-cased; compiled by Royce Williams, BSD licence).
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 1024
# A local part shorter than this ("al@...") would refuse half of all passwords.
MIN_LOCAL_PART = 3
_TRAILING_NOISE = "0123456789!@#$%^&*()-_=+.,?~ "
MIN_COMMON_PREFIX = 6
# "aaaaaaaaaaaa", "abababababab": long, yet guessed at once.
MIN_DISTINCT = 4


@lru_cache(maxsize=1)
def shipped_common_passwords() -> frozenset[str]:
    data = resources.files("healthrecords.domain").joinpath("data/common-passwords.txt.gz")
    text = gzip.decompress(data.read_bytes()).decode()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


class PasswordPolicy:
    def __init__(self, common_passwords: frozenset[str]) -> None:
        self._common = common_passwords

    @classmethod
    def default(cls) -> PasswordPolicy:
        return cls(shipped_common_passwords())

    def _is_common(self, lowered: str) -> bool:
        # "password1234!" and "123456789012" are as guessable as "password" and
        # "123456789": a listed word followed by nothing but digits and symbols.
        word_end = max(len(lowered.rstrip(_TRAILING_NOISE)), MIN_COMMON_PREFIX)
        return any(lowered[:end] in self._common for end in range(word_end, len(lowered) + 1))

    def problem(self, password: str, email_local_part: str = "") -> str | None:
        """Why the password is refused, or None when it is acceptable."""
        if len(password) < MIN_LENGTH:
            return f"must be at least {MIN_LENGTH} characters"
        if len(password) > MAX_LENGTH:
            return f"must be at most {MAX_LENGTH} characters"
        lowered = password.lower()
        if self._is_common(lowered) or len(set(lowered)) < MIN_DISTINCT:
            return "is too common; choose a less guessable password"
        local = email_local_part.lower()
        if len(local) >= MIN_LOCAL_PART and local in lowered:
            return "must not contain your email address"
        return None
