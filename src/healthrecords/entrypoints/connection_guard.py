"""What the HTTP protocol decides before reading a request: refusals and the header deadline.

Shared by the protocol class `serve` uses; the answers are whole raw
problem+json responses, written before any request is parsed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Set
from typing import Any

import uvicorn
from uvicorn.protocols.utils import get_remote_addr

from healthrecords.entrypoints.connection_limits import ConnectionLimits, raw_problem
from healthrecords.entrypoints.log_throttle import Throttled

log = logging.getLogger(__name__)

_FULL = raw_problem(
    503, "Service Unavailable", "the server holds all the connections it may", retry_after=1
)
_PER_ADDRESS = raw_problem(
    429, "Too Many Requests", "too many open connections from this address", retry_after=1
)

# One line per interval: a flood of refused connections must not flood the log.
_refused_full = Throttled(log, "connection refused: the process holds its maximum")
_refused_address = Throttled(log, "connection refused: too many from one address")
_timed_out = Throttled(log, "connection closed: request headers not received in time")


class ServerConfig(uvicorn.Config):
    """uvicorn's config plus our limits (pickled to worker processes with it)."""

    def __init__(self, app: str, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.connection_limits = limits


def _host(protocol: object) -> str:
    client = getattr(protocol, "client", None)
    return str(client[0]) if client else ""


def refusal(
    connections: Set[object], limits: ConnectionLimits, transport: asyncio.Transport
) -> bytes | None:
    """The answer for a connection over a cap, or None to serve it.

    `connections` is uvicorn's server_state.connections: HTTP and upgraded
    WebSocket protocols alike.
    """
    if len(connections) >= limits.max_connections:
        _refused_full(max_connections=limits.max_connections)
        return _FULL
    peer = get_remote_addr(transport)
    if limits.per_address and peer is not None:
        held = sum(1 for c in connections if _host(c) == peer[0])
        if held >= limits.per_address:
            _refused_address(per_address=limits.per_address)
            return _PER_ADDRESS
    return None


def headers_timed_out(limits: ConnectionLimits) -> bytes:
    """Logs (throttled) and returns the 408 for a request whose headers never finished."""
    _timed_out(header_timeout=limits.header_timeout)
    return raw_problem(
        408, "Request Timeout", f"request headers took longer than {limits.header_timeout:g} s"
    )
