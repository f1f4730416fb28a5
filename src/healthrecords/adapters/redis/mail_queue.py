"""Mail handed to the SAQ worker, which sends it with retries.

The message (a reset email holds a token) travels AES-GCM sealed under the
current encryption key, so neither Redis nor a job log ever holds it in clear.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid

from saq import Job
from saq.queue.redis import RedisQueue

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.domain.mail import OutgoingMail

log = logging.getLogger(__name__)

SEND_MAIL_FUNCTION = "send_mail"
MAIL_RETRIES = 5
MAIL_RETRY_DELAY = 2.0
MAIL_TIMEOUT = 30
# Bound into the ciphertext: a sealed mail opens only as a mail job.
_SCOPE = uuid.UUID(int=0)


def seal(cipher: FieldCipher, mail: OutgoingMail, job_id: uuid.UUID) -> tuple[str, str]:
    plain = json.dumps({"to": mail.to, "subject": mail.subject, "body": mail.body})
    key_id, blob = cipher.encrypt(
        plain, table="mail_job", field="mail", row_id=job_id, patient_id=_SCOPE
    )
    return key_id, base64.b64encode(blob).decode()


def unseal(cipher: FieldCipher, key_id: str, sealed: str, job_id: str) -> OutgoingMail:
    plain = cipher.decrypt(
        base64.b64decode(sealed),
        key_id=key_id,
        table="mail_job",
        field="mail",
        row_id=uuid.UUID(job_id),
        patient_id=_SCOPE,
    )
    fields = json.loads(plain)
    return OutgoingMail(to=fields["to"], subject=fields["subject"], body=fields["body"])


class SaqMailQueue:
    def __init__(self, queue: RedisQueue, cipher: FieldCipher, timeout: float = 1.0) -> None:
        self._queue = queue
        self._cipher = cipher
        self._timeout = timeout

    async def enqueue(self, mail: OutgoingMail) -> None:
        mail_id = uuid.uuid4()
        key_id, sealed = seal(self._cipher, mail, mail_id)
        job = Job(
            function=SEND_MAIL_FUNCTION,
            kwargs={"mail_id": str(mail_id), "key_id": key_id, "sealed": sealed},
            timeout=MAIL_TIMEOUT,
            retries=MAIL_RETRIES,
            retry_delay=MAIL_RETRY_DELAY,
            retry_backoff=True,
            # Forget the job (and its sealed message) as soon as it is done.
            ttl=-1,
        )
        try:
            async with asyncio.timeout(self._timeout):
                await self._queue.enqueue(job)
        except Exception as exc:  # a mail that cannot be queued never fails the request
            log.warning("could not queue a mail", extra={"error": type(exc).__name__})
