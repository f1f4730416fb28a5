"""uvicorn's httptools protocol with a connection cap and a deadline for request headers.

The deadline runs while no request with complete headers is in progress: from
accept, and from each answer, to the end of the next request's headers. The
parser calls `on_message_begin` at a request's first byte and
`on_headers_complete` at its blank line, so whether a request was begun when
the deadline passes is known exactly, pipelined requests included.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from healthrecords.entrypoints.connection_guard import ServerConfig, headers_timed_out, refusal


class GuardedHttpToolsProtocol(HttpToolsProtocol):
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
        self.request_begun = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        answer = refusal(self.connections, self.limits, transport)
        if answer is not None:
            self.refused = True
            transport.write(answer)
            transport.close()
            return
        super().connection_made(transport)
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        if not self.refused:
            super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self.refused:
            super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.request_begun = True

    def on_headers_complete(self) -> None:
        self.request_begun = False
        self._cancel_header_deadline()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # self.cycle is the request whose headers completed last: once it is
        # answered, none is in progress (a pipelined one was started above).
        if self.cycle.response_complete and not self.transport.is_closing():
            self._arm_header_deadline()

    def _arm_header_deadline(self) -> None:
        """A byte that arrives does not re-arm it: only complete headers stop it."""
        if self.header_timer is None:
            self.header_timer = self.loop.call_later(
                self.limits.header_timeout, self._header_deadline_passed
            )

    def _cancel_header_deadline(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _header_deadline_passed(self) -> None:
        self.header_timer = None
        if self.transport.is_closing():
            return
        if self.request_begun:
            # A request was begun: say why it ends. An idle keep-alive
            # connection is just closed, as uvicorn's own keep-alive timeout does.
            self.transport.write(headers_timed_out(self.limits))
        self.transport.close()
