"""The server's event loop: asyncio's, with accept() errors logged once per interval.

When accept() fails for want of file descriptors, asyncio (3.11) reports it and
keeps trying the rest of its backlog in the same tick, each try reported again:
without this, one client holding the file limit wrote ~100,000 lines in 10 s.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from typing import Any

from healthrecords.entrypoints.log_throttle import Throttled

ACCEPT_FAILED = "socket.accept() out of system resource"

log = logging.getLogger(__name__)
_accept_failed = Throttled(
    log, "accept() failed: out of file descriptors or memory; new connections wait"
)


def handle_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if context.get("message") == ACCEPT_FAILED:
        exc = context.get("exception")
        code = errno.errorcode.get(exc.errno, "") if isinstance(exc, OSError) and exc.errno else ""
        _accept_failed(logging.ERROR, errno=code)
        return
    loop.default_exception_handler(context)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvicorn's `loop` setting takes this as a factory (an import string)."""
    loop = asyncio.SelectorEventLoop()
    loop.set_exception_handler(handle_loop_exception)
    return loop
