"""What a notification socket speaks: close codes, the transport, frames.

Close codes (documented in the README's WebSocket section):
1008 too slow or a policy breach, 1009 a message too big, 1011 a server bug,
1013 try again later (Redis or the database unavailable, server going away),
4400 a bad `resume_after`, 4401 authentication, 4429 too many sockets or
messages.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_TRY_LATER = 1013
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_MANY = 4429


class Disconnected(Exception):
    """The client went away."""


class SocketClosed(Exception):
    """End the socket with this close code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Transport(Protocol):
    async def receive_text(self) -> str:
        """Raises Disconnected when the client is gone."""
        ...

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


def error_frame(detail: str) -> dict[str, Any]:
    return {"type": "error", "detail": detail}


def parse(text: str) -> dict[str, Any] | None:
    try:
        data = msgspec.json.decode(text)
    except (msgspec.DecodeError, RecursionError):
        # Deep nesting fits in 4 KiB; it is bad input, not a server error.
        return None
    return data if isinstance(data, dict) else None
