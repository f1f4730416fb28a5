"""uvicorn's h11 protocol with a connection cap and a deadline for request headers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.utils import get_remote_addr
from uvicorn.server import ServerState

from healthrecords.entrypoints.connection_limits import ConnectionLimits, raw_problem
from healthrecords.entrypoints.log_throttle import Throttled

log = logging.getLogger(__name__)

_FULL = raw_problem(
    503, "Service Unavailable", "the server holds all the connections it may", retry_after=1
)
_PER_ADDRESS = raw_problem(
    429, "Too Many Requests", "too many open connections from this address", retry_after=1
)


def _timeout_response(seconds: float) -> bytes:
    return raw_problem(408, "Request Timeout", f"request headers took longer than {seconds:g} s")


# One line per interval: a flood of refused connections must not flood the log.
_refused_full = Throttled(log, "connection refused: the process holds its maximum")
_refused_address = Throttled(log, "connection refused: too many from one address")
_timed_out = Throttled(log, "connection closed: request headers not received in time")


def _host(protocol: object) -> str:
    client = getattr(protocol, "client", None)
    return str(client[0]) if client else ""


class ServerConfig(uvicorn.Config):
    """uvicorn's config plus our limits (pickled to worker processes with it)."""

    def __init__(self, app: str, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.connection_limits = limits


class GuardedH11Protocol(H11Protocol):
    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        assert isinstance(config, ServerConfig)
        self.limits = config.connection_limits
        self.header_timer: asyncio.TimerHandle | None = None
        self.refused = False

    def _refusal(self, transport: asyncio.Transport) -> bytes | None:
        # server_state.connections holds HTTP and upgraded WebSocket protocols alike.
        if len(self.connections) >= self.limits.max_connections:
            _refused_full(max_connections=self.limits.max_connections)
            return _FULL
        peer = get_remote_addr(transport)
        if self.limits.per_address and peer is not None:
            held = sum(1 for c in self.connections if _host(c) == peer[0])
            if held >= self.limits.per_address:
                _refused_address(per_address=self.limits.per_address)
                return _PER_ADDRESS
        return None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        refusal = self._refusal(transport)
        if refusal is not None:
            self.refused = True
            transport.write(refusal)
            transport.close()
            return
        super().connection_made(transport)
        self._sync_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        if not self.refused:
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._sync_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._sync_header_deadline()

    def _awaiting_headers(self) -> bool:
        return self.conn.their_state is h11.IDLE and not self.transport.is_closing()

    def _sync_header_deadline(self) -> None:
        """Armed while no request is in progress; a byte that arrives does not re-arm it."""
        if self._awaiting_headers():
            if self.header_timer is None:
                self.header_timer = self.loop.call_later(
                    self.limits.header_timeout, self._header_deadline_passed
                )
        else:
            self._cancel_header_deadline()

    def _cancel_header_deadline(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _header_deadline_passed(self) -> None:
        self.header_timer = None
        if not self._awaiting_headers():
            return
        partial, _ = self.conn.trailing_data
        if partial:
            # A request was begun: say why it ends. An idle keep-alive
            # connection is just closed, as uvicorn's own keep-alive timeout does.
            _timed_out(header_timeout=self.limits.header_timeout)
            self.transport.write(_timeout_response(self.limits.header_timeout))
        self.transport.close()
