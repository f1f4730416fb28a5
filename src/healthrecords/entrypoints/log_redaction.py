"""The last filter before a log line is written: no token, cookie or query value.

Our own code logs paths without query strings and never a header or a body.
The servers underneath do not: uvicorn writes a WebSocket's full request
target at INFO (`?token=...` included) and, at DEBUG, the handshake headers
(Authorization, Cookie) and every frame through websockets' protocol logger,
which uvicorn points at `uvicorn.error`.
"""

from __future__ import annotations

import logging
import re
from typing import Final

# Per-connection chatter from the server stack: below INFO it is headers and frames.
SERVER_LOGGERS: Final = ("uvicorn", "websockets", "h11")

# Neither pattern may swallow a quote or a backslash: formatted lines are JSON.
_QUERY = re.compile(r"\?[^\s\"'<>\\]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?")
_SECRET_HEADER = re.compile(
    r"(?i)\b(authorization|proxy-authorization|cookie|set-cookie|sec-websocket-protocol|"
    r"x-api-key)(\s*[:=]\s*)[^\r\n\"\\]*"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


# What each pattern needs to match at all, in lower-case ASCII; proxy-
# authorization and set-cookie contain two of them.
_HEADER_WORDS: Final = ("authorization", "cookie", "sec-websocket-protocol", "x-api-key")
_SCHEME_WORDS: Final = ("bearer", "basic")


def scrub(text: str) -> str:
    """The four substitutions, each skipped when its pattern cannot match.

    Most lines (every access line) hold none of the words, and four regex
    passes over each cost more than formatting it. Case-insensitive regexes
    also match some non-ASCII letters (K for the Kelvin sign), so only an
    ASCII line is pre-checked; any other runs all four.
    """
    if text.isascii():
        lower = text.lower()
        header = any(word in lower for word in _HEADER_WORDS)
        scheme = any(word in lower for word in _SCHEME_WORDS)
        jwt = "eyJ" in text
        query = "?" in text
    else:
        header = scheme = jwt = query = True
    if header:
        text = _SECRET_HEADER.sub(r"\1\2[redacted]", text)
    if scheme:
        text = _BEARER.sub(r"\1 [redacted]", text)
    if jwt:
        text = _JWT.sub("[redacted-token]", text)
    if query:
        text = _QUERY.sub("?[redacted]", text)
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from_server = record.name.startswith(SERVER_LOGGERS)
        if from_server and record.levelno < logging.INFO:
            return False
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def quiet_server_loggers() -> None:
    """So their DEBUG lines are not even built (the filter drops them anyway)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.INFO, logger.getEffectiveLevel()))
