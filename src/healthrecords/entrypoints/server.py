"""Run the ASGI app under uvicorn, one process or several sharing one socket."""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

from healthrecords.entrypoints.connection_guard import ServerConfig
from healthrecords.entrypoints.connection_limits import ConnectionLimits, resolve_limits
from healthrecords.entrypoints.guarded_http import GuardedHttpToolsProtocol

APP = "healthrecords.entrypoints.http.asgi:app_factory"
EVENT_LOOP = "healthrecords.entrypoints.event_loop:new_event_loop"
# websockets' Sans-I/O protocol: timers, not three tasks per connection as the
# legacy one runs (keepalive, data transfer, closing) for every idle socket.
WS_PROTOCOL = "websockets-sansio"


def tcp_socket(host: str, port: int) -> socket.socket:
    """A listening socket created with IPPROTO_TCP.

    uvicorn binds its multi-worker socket with proto 0, and asyncio sets
    TCP_NODELAY only on connections accepted from an IPPROTO_TCP socket; without
    it every keep-alive response waits ~40 ms for a delayed ACK
    (Kludex/uvicorn#3149).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(
    host: str, port: int, workers: int, app: str = APP, limits: ConnectionLimits | None = None
) -> None:
    config = ServerConfig(
        app,
        limits=limits or resolve_limits(0, 100, 10, 0),
        factory=True,
        # httptools (llhttp, C): half h11's CPU per request. The guard
        # (connection caps, header deadline) lives in this class; a different
        # protocol class would silently drop it.
        http=GuardedHttpToolsProtocol,
        loop=EVENT_LOOP,
        # Naming the server software only helps whoever looks for its bugs.
        server_header=False,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=20,
        # A worker answers the supervisor's ping only once the app is imported:
        # ~10 s on a loaded 2-core host, and the default 5 s killed every worker.
        timeout_worker_healthcheck=30,
        # A frame larger than this is refused (close 1009) before it is
        # buffered; the socket itself accepts messages of 4 KiB at most.
        ws_max_size=64 * 1024,
        # Notification frames are a few hundred bytes: per-message deflate
        # would save nothing and costs ~50 KiB of zlib state per idle socket.
        ws_per_message_deflate=False,
        ws=WS_PROTOCOL,
    )
    if workers == 1:
        uvicorn.Server(config).run()
        return
    Multiprocess(config, sockets=[tcp_socket(host, port)]).run()
