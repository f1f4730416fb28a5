"""Security emails: what each says. No health data, and no secret except the
reset token the owner needs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingMail:
    to: str
    subject: str
    body: str


class SecurityNotice(StrEnum):
    PASSWORD_CHANGED = "password_changed"
    TWO_FACTOR_ON = "two_factor_on"
    TWO_FACTOR_OFF = "two_factor_off"


NOT_YOU = (
    "If this was not you, reset your password now (POST /api/auth/password-reset/) "
    "and tell your administrator."
)
NOTICES = {
    SecurityNotice.PASSWORD_CHANGED: (
        "Your password was changed",
        "The password of your healthrecords account was changed, and every other session "
        "of the account was ended.",
    ),
    SecurityNotice.TWO_FACTOR_ON: (
        "Two-factor sign-in is on",
        "Two-factor sign-in was turned on for your healthrecords account.",
    ),
    SecurityNotice.TWO_FACTOR_OFF: (
        "Two-factor sign-in is off",
        "Two-factor sign-in was turned off for your healthrecords account.",
    ),
}


def notice_mail(to: str, notice: SecurityNotice) -> OutgoingMail:
    subject, text = NOTICES[notice]
    return OutgoingMail(to=to, subject=subject, body=f"{text}\n\n{NOT_YOU}\n")


def reset_mail(to: str, token: str, minutes: int) -> OutgoingMail:
    body = (
        "Someone asked to reset the password of your healthrecords account.\n\n"
        f"Your reset token (valid {minutes} minutes, good once):\n\n{token}\n\n"
        "Send it with a new password to POST /api/auth/password-reset/confirm/ "
        '{"token": "...", "new_password": "..."}. Every session of the account ends.\n\n'
        "If you did not ask for this, ignore this email: your password stays as it is.\n"
    )
    return OutgoingMail(to=to, subject="Reset your password", body=body)
