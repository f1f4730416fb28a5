"""HEALTHRECORDS_SMTP_URL as the SMTP adapter reads it; the password never shows."""

from __future__ import annotations

import pytest

from healthrecords.adapters.mail.smtp import SmtpServer


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "user", "password"),
    [
        ("smtp://mail.example.org", "mail.example.org", 587, False, None, None),
        ("smtp://relay:2525", "relay", 2525, False, None, None),
        (
            "smtps://me%40x.org:p%3Ass@mail.example.org",
            "mail.example.org",
            465,
            True,
            "me@x.org",
            "p:ss",
        ),
    ],
)
def test_urls_name_the_server_and_credentials(
    url: str, host: str, port: int, tls: bool, user: str | None, password: str | None
) -> None:
    server = SmtpServer.parse(url)
    assert (server.host, server.port, server.implicit_tls) == (host, port, tls)
    assert (server.username, server.password) == (user, password)
    if password:
        assert password not in repr(server)


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "mail.example.org"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="smtp://"):
        SmtpServer.parse(url)
