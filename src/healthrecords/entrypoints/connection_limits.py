"""How many connections one server process holds, and how long headers may take.

uvicorn itself accepts every connection and, until a request's headers are
complete, waits for them forever; `limit_concurrency` only answers 503 once a
request has arrived, after the socket (and its file descriptor) is held. So
the HTTP protocol below decides at accept time, before reading a byte.
"""

from __future__ import annotations

import json
import logging
import resource
from dataclasses import dataclass
from typing import Final

from healthrecords.entrypoints.http.problems import MEDIA_TYPE, TYPE_BASE

log = logging.getLogger(__name__)

DEFAULT_MAX_CONNECTIONS: Final = 1000
# File descriptors kept for everything that is not a client socket: the
# database and Redis pools, the listening socket, epoll, pipes, log files,
# imported modules' files.
FD_RESERVE: Final = 100


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_connections: int
    per_address: int  # 0: no per-address cap (behind a proxy every client shares one)
    header_timeout: float


def open_file_budget(pool_size: int) -> int:
    """Raise the soft open-file limit to the hard one; return what clients may use."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return max(1, soft - FD_RESERVE - pool_size)


def resolve_limits(
    max_connections: int, per_address: int, header_timeout: int, pool_size: int
) -> ConnectionLimits:
    """0 (the default) for max_connections: 1000, or less if the file limit is lower."""
    budget = open_file_budget(pool_size)
    if max_connections == 0:
        chosen = min(DEFAULT_MAX_CONNECTIONS, budget)
    else:
        chosen = max_connections
        if chosen > budget:
            log.warning(
                "HEALTHRECORDS_MAX_CONNECTIONS is above what the open-file limit leaves",
                extra={"max_connections": chosen, "file_budget": budget},
            )
    return ConnectionLimits(
        max_connections=chosen, per_address=per_address, header_timeout=float(header_timeout)
    )


def raw_problem(status: int, title: str, detail: str, retry_after: int | None = None) -> bytes:
    """A whole HTTP/1.1 problem+json response, written before any request is parsed."""
    body = json.dumps(
        {
            "type": TYPE_BASE + title.lower().replace(" ", "-"),
            "title": title,
            "status": status,
            "detail": detail,
        }
    ).encode()
    head = [
        f"HTTP/1.1 {status} {title}",
        f"content-type: {MEDIA_TYPE}",
        f"content-length: {len(body)}",
        "cache-control: no-store",
        "x-content-type-options: nosniff",
        "connection: close",
    ]
    if retry_after is not None:
        head.append(f"retry-after: {retry_after}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body
