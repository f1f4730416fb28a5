"""An OutgoingMail as an RFC 5322 message."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from healthrecords.domain.mail import OutgoingMail


def email_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(mail.body)
    return message
