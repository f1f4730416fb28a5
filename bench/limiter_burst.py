"""How a burst from one client address fares at the per-address limiter.

`uv run python -m bench.limiter_burst PORT` against a running production-mode
server on 127.0.0.1:PORT (loopback only; sources 127.0.4.x). For each burst
size: every connection opened first, every request written at once; prints
statuses and the time to each response's head (p50 / p99 / max), for an
address already over its auth limit (answered from memory) and for a fresh
address (every request counted in Redis).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from collections import Counter

from tests.burst import Answer, burst, post_json

REFRESH = post_json("/api/auth/refresh/", {"refresh_token": "not-a-real-one"})
SIZES = (1, 10, 25, 50, 100, 200, 300, 400)


def line(label: str, size: int, answers: list[Answer]) -> str:
    times = sorted(a.seconds * 1000 for a in answers)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    statuses = dict(Counter(a.status for a in answers))
    return (
        f"{label:<8} n={size:<4} p50={statistics.median(times):7.1f} ms "
        f"p99={p99:7.1f} ms max={times[-1]:7.1f} ms {statuses}"
    )


async def main(port: int) -> None:
    for i, size in enumerate(SIZES):
        over = f"127.0.4.{2 * i + 1}"
        await burst(port, over, REFRESH, 61)  # spend the auth limit (60)
        print(line("over", size, await burst(port, over, REFRESH, size)))
        print(line("fresh", size, await burst(port, f"127.0.4.{2 * i + 2}", REFRESH, size)))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
