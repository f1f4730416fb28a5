"""Embedded mode without an SMTP server: each message becomes an .eml file in
`<data dir>/outbox/`, readable by the owner only (0600), for the operator to
open or forward."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

from healthrecords.adapters.mail.message import email_message
from healthrecords.domain.mail import OutgoingMail


class OutboxMailer:
    def __init__(self, directory: Path, sender: str) -> None:
        self._directory = directory
        self._sender = sender

    @property
    def directory(self) -> Path:
        return self._directory

    async def send(self, mail: OutgoingMail) -> None:
        await asyncio.to_thread(self._write, email_message(mail, self._sender).as_bytes())

    def _write(self, data: bytes) -> None:
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex}.eml"
        fd = os.open(self._directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
