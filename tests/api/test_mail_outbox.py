"""Embedded mode without SMTP: each email is an .eml file in <data dir>/outbox/,
readable by the owner only; and mail in-process is retried when sending fails."""

from __future__ import annotations

import asyncio
import email
import stat
import time
from pathlib import Path

from litestar.testing import AsyncTestClient

from healthrecords.adapters.memory.mail_queue import InProcessMailQueue
from healthrecords.domain.mail import OutgoingMail
from healthrecords.entrypoints.http.app import create_app
from tests.api.test_auth import new_email, strong_password
from tests.api.test_password_reset import TOKEN
from tests.conftest import migrated_embedded

DEADLINE = 10.0


def listed(outbox: Path) -> list[Path]:
    return sorted(p for p in outbox.iterdir() if p.suffix == ".eml") if outbox.is_dir() else []


async def eml_files(outbox: Path, count: int) -> list[Path]:
    end = time.monotonic() + DEADLINE
    while len(found := listed(outbox)) < count:
        assert time.monotonic() < end, f"{len(found)} of {count} emails in the outbox"
        await asyncio.sleep(0.05)
    return found


async def test_reset_mail_lands_in_the_outbox_as_a_private_eml_file(tmp_path: Path) -> None:
    settings = await migrated_embedded(tmp_path)
    async with AsyncTestClient(create_app(settings)) as client:
        address, password = new_email(), strong_password()
        body = {"email": address, "password": password, "full_name": "Ada", "role": "patient"}
        assert (await client.post("/api/auth/register/", json=body)).status_code == 201
        asked = await client.post("/api/auth/password-reset/", json={"email": address})
        assert asked.status_code == 202
        (path,) = await eml_files(tmp_path / "outbox", 1)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "outbox").stat().st_mode) == 0o700
        message = email.message_from_bytes(path.read_bytes())
        assert message["To"] == address
        assert message["From"] == settings.mail_from
        text = message.get_payload(decode=True)
        assert isinstance(text, bytes)
        found = TOKEN.search(text.decode())
        assert found is not None
        confirm = {"token": found.group(1), "new_password": strong_password()}
        done = await client.post("/api/auth/password-reset/confirm/", json=confirm)
        assert done.status_code == 204
        # The "password changed" notice follows it into the outbox.
        assert len(await eml_files(tmp_path / "outbox", 2)) == 2


class FlakyMailer:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[OutgoingMail] = []

    async def send(self, mail: OutgoingMail) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionRefusedError("the mail server is down")
        self.sent.append(mail)


async def test_in_process_mail_is_retried_until_sent() -> None:
    mailer = FlakyMailer(failures=3)
    queue = InProcessMailQueue(mailer, delays=(0.01, 0.01, 0.01, 0.01))
    mail = OutgoingMail(to="a@example.test", subject="s", body="b")
    await queue.enqueue(mail)  # returns at once: the request never waits on mail
    await queue.drain()
    assert mailer.sent == [mail]


async def test_in_process_mail_gives_up_after_the_last_retry() -> None:
    mailer = FlakyMailer(failures=10)
    queue = InProcessMailQueue(mailer, delays=(0.01, 0.01))
    await queue.enqueue(OutgoingMail(to="a@example.test", subject="s", body="b"))
    await queue.drain()
    assert mailer.sent == []
    assert mailer.failures == 7  # three tries, no more
