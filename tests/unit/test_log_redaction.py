"""What the last log filter removes, line by line (the e2e test covers real servers)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from healthrecords.entrypoints.logs import configure_logging

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJl"


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("DEBUG")
    yield out
    root.handlers[:], level = saved
    root.setLevel(level)
    for name in ("uvicorn", "websockets", "h11"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_socket_url_query_string_is_redacted_at_info(captured: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").info(
        '%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", f"/api/ws/?token={TOKEN}&x=1"
    )
    (line,) = lines(captured)
    assert line["message"] == '127.0.0.1:5000 - "WebSocket /api/ws/?[redacted]" [accepted]'


def test_server_debug_lines_headers_and_frames_are_dropped(captured: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").debug("< authorization: Bearer %s", TOKEN)
    logging.getLogger("websockets.server").debug('< TEXT \'{"token": "%s"}\'', TOKEN)
    assert captured.getvalue() == ""


def test_any_logger_loses_tokens_cookies_and_queries_and_lines_stay_json(
    captured: io.StringIO,
) -> None:
    log = logging.getLogger("healthrecords.anything")
    log.warning("Authorization: Bearer %s", TOKEN)
    log.warning("saw", extra={"header": "cookie: session=abc123", "url": "/p?cursor=secret"})
    first, second = lines(captured)
    assert TOKEN not in json.dumps(first)
    assert first["message"] == "Authorization: [redacted]"
    assert second["header"] == "cookie: [redacted]"
    assert second["url"] == "/p?[redacted]"


@pytest.mark.parametrize(
    ("said", "logged"),
    [
        (f"COOKIE = a=1; PROXY-AUTHORIZATION: Basic {TOKEN}", "COOKIE = [redacted]"),
        (f"token {TOKEN} for /p?x=1", "token [redacted-token] for /p?[redacted]"),
        # Not ASCII: every pattern runs (the Kelvin sign matches k case-insensitively).
        (f"é coo\u212aie: {TOKEN}", "é coo\u212aie: [redacted]"),
        (f"é bearer {TOKEN}", "é bearer [redacted]"),
        ("é /api/records/", "é /api/records/"),
    ],
)
def test_every_pattern_applies_in_any_case_and_script(
    captured: io.StringIO, said: str, logged: str
) -> None:
    logging.getLogger("healthrecords.anything").warning("%s", said)
    (line,) = lines(captured)
    assert line["message"] == logged
