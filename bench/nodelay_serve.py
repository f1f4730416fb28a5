"""uvicorn with several workers, but with TCP_NODELAY on every connection (experiment).

uvicorn 0.54's multi-worker mode binds the listening socket with `proto=0`;
asyncio only sets TCP_NODELAY on accepted sockets whose proto is IPPROTO_TCP,
so with `--workers 2` every keep-alive response waits ~40 ms for a delayed
ACK (Kludex/uvicorn#3149). This launcher binds the socket itself with
IPPROTO_TCP and hands it to uvicorn's own supervisor, to measure what
`healthrecords serve --workers N` would do once that is fixed.

    python -m bench.nodelay_serve MODULE:FACTORY PORT WORKERS
"""

from __future__ import annotations

import socket
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess


def main(argv: list[str]) -> None:
    target, port, workers = argv[0], int(argv[1]), int(argv[2])
    # The same flags as `healthrecords serve` (entrypoints/cli.py).
    config = uvicorn.Config(
        target,
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=20,
        ws_max_size=64 * 1024,
        ws_per_message_deflate=False,
    )
    if workers == 1:
        uvicorn.Server(config).run()
        return
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.set_inheritable(True)
    Multiprocess(config, sockets=[sock]).run()


if __name__ == "__main__":
    main(sys.argv[1:])
