"""Readiness for Redis is a write, not a PING.

A Redis at its memory limit (maxmemory with noeviction), a read-only replica
after a failover, or one refusing writes on a failed save (MISCONF) still
answers PING, while every enqueue, rate-limit count and login-failure count
fails. A SET with a short expiry fails in each of those cases and leaves
nothing behind for long.
"""

from __future__ import annotations

from redis.asyncio import Redis

READY_KEY_TTL_MS = 10_000


def ready_key(namespace: str) -> str:
    return f"{namespace}:ready"


async def redis_accepts_writes(redis: Redis, namespace: str) -> None:
    """Raises the client's error unless Redis stored a short-lived key."""
    if not await redis.set(ready_key(namespace), b"1", px=READY_KEY_TTL_MS):
        raise RuntimeError("Redis did not store the readiness key")
