"""Mail through an SMTP server: `smtp://[user:pass@]host[:587]` (STARTTLS when
the server offers it) or `smtps://[user:pass@]host[:465]` (TLS from the start).

smtplib is synchronous, so each message is sent on a worker thread.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from healthrecords.adapters.mail.message import email_message
from healthrecords.domain.mail import OutgoingMail

TIMEOUT = 15


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("use smtp://host[:port] or smtps://user:pass@host[:port]")
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 587),
            implicit_tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def __repr__(self) -> str:
        # Never the password.
        return f"SmtpServer({self.host}:{self.port}, tls={self.implicit_tls})"


class SmtpMailer:
    def __init__(self, server: SmtpServer, sender: str) -> None:
        self._server = server
        self._sender = sender

    async def send(self, mail: OutgoingMail) -> None:
        await asyncio.to_thread(self._send, mail)

    def _send(self, mail: OutgoingMail) -> None:
        s = self._server
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if s.implicit_tls:
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT)
        with client:
            client.ehlo()
            if not s.implicit_tls and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if s.username and s.password:
                client.login(s.username, s.password)
            client.send_message(email_message(mail, self._sender))
