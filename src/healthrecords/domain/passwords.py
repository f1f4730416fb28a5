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

    def problem(self, password: str, email_local_part: str = "") -> str | None:
        """Why the password is refused, or None when it is acceptable."""
        if len(password) < MIN_LENGTH:
            return f"must be at least {MIN_LENGTH} characters"
        if len(password) > MAX_LENGTH:
            return f"must be at most {MAX_LENGTH} characters"
        lowered = password.lower()
        # "password1234!" is as guessable as "password".
        if lowered in self._common or lowered.rstrip(_TRAILING_NOISE) in self._common:
            return "is too common; choose a less guessable password"
        local = email_local_part.lower()
        if len(local) >= MIN_LOCAL_PART and local in lowered:
            return "must not contain your email address"
        return None
