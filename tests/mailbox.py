"""A real SMTP server (aiosmtpd) on a free loopback port, for the email tests."""

from __future__ import annotations

import asyncio
import contextlib
import email
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

DEADLINE = 10.0


@dataclass
class Mailbox:
    port: int
    received: list[Message] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.received.append(email.message_from_bytes(envelope.original_content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        with self._lock:
            return [m for m in self.received if m["To"] == address]

    async def wait_for(self, address: str, count: int = 1) -> list[Message]:
        """The first `count` messages to `address`, waiting up to the deadline."""
        end = time.monotonic() + DEADLINE
        while len(found := self.to(address)) < count:
            assert time.monotonic() < end, f"{len(found)} of {count} mails to {address} arrived"
            await asyncio.sleep(0.05)
        return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox(free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()
