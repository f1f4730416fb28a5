"""Email addresses: one normal form (trimmed, lower-case) and a plain syntax check."""

from __future__ import annotations

import re

MAX_LENGTH = 254
MAX_LOCAL_LENGTH = 64

_LOCAL = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_TLD = r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])"
_EMAIL = re.compile(rf"^(?P<local>{_LOCAL})@(?:{_LABEL}\.)+{_TLD}$")


def normalise_email(raw: str) -> str:
    """The form emails are stored and looked up in; addresses match case-insensitively."""
    return raw.strip().lower()


def email_problem(email: str) -> str | None:
    """Why a normalised address is refused, or None when it is acceptable."""
    if len(email) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    match = _EMAIL.fullmatch(email)
    if match is None:
        return "must be an email address such as name@example.org"
    if len(match["local"]) > MAX_LOCAL_LENGTH:
        return f"the part before @ must be at most {MAX_LOCAL_LENGTH} characters"
    return None


def local_part(email: str) -> str:
    return email.rpartition("@")[0]
