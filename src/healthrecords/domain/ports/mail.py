from __future__ import annotations

from typing import Protocol

from healthrecords.domain.mail import OutgoingMail


class Mailer(Protocol):
    """Hands one message to the mail system; raises when it cannot."""

    async def send(self, mail: OutgoingMail) -> None: ...


class MailQueue(Protocol):
    """Sends mail after the request's commit, with retries (SAQ, or in-process)."""

    async def enqueue(self, mail: OutgoingMail) -> None:
        """Best effort: never raises, so a mail that cannot be sent never fails a request."""
        ...
