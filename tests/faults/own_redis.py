"""A Redis server of the test's own, for faults that need its config changed.

The shared server's config is never touched: this one runs on a free port,
without persistence, and dies with the test.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from tests.faults.processes import free_port

START_DEADLINE = 10.0


@contextmanager
def own_redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed for this test"
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    popen = subprocess.Popen(
        [*args, "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for_ping(url, popen)
        yield url
    finally:
        popen.terminate()
        try:
            popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout=10)


def _wait_for_ping(url: str, popen: subprocess.Popen[bytes]) -> None:
    end = time.monotonic() + START_DEADLINE
    with redis.Redis.from_url(url, socket_connect_timeout=0.5) as client:
        while True:
            assert popen.poll() is None, "redis-server exited while starting"
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                pass
            assert time.monotonic() < end, f"redis-server not up in {START_DEADLINE}s"
            time.sleep(0.05)
