"""Fire many HTTP requests at one instant from one client address.

httpx opens connections one by one as requests need them, so a server sees
its "simultaneous" requests spread out. Here every connection is opened
first and then every request is written at once. Loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    seconds: float


def post_json(path: str, body: object, host: str = "127.0.0.1") -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + payload


async def burst(
    port: int, address: str, request: bytes, count: int, deadline: float = 60.0
) -> list[Answer]:
    async with asyncio.timeout(deadline):
        streams = await asyncio.gather(
            *(
                asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
                for _ in range(count)
            )
        )
        started = time.perf_counter()
        for _, writer in streams:
            writer.write(request)
        try:
            return list(await asyncio.gather(*(_answer(reader, started) for reader, _ in streams)))
        finally:
            for _, writer in streams:
                writer.close()


async def _answer(reader: asyncio.StreamReader, started: float) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    seconds = time.perf_counter() - started
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    # A connection refused at accept is closed at once; our request bytes
    # arriving after that close make the kernel answer RST, which can beat
    # the EOF. The status line was already read: that is the answer.
    with contextlib.suppress(ConnectionResetError):
        await reader.read()
    return Answer(int(status_line.split()[1]), headers, seconds)
