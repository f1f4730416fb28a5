"""A test session leaves nothing of its own in the shared Redis."""

from __future__ import annotations

import secrets
from uuid import uuid4

from redis.asyncio import Redis

from healthrecords.adapters.redis.notification_queue import (
    SaqNotificationQueue,
    saq_queue,
)
from tests import servers


async def test_dropping_a_namespace_removes_saq_keys_without_expiry_and_nothing_else(
    redis_url: str,
) -> None:
    namespace = f"hrtest-{secrets.token_hex(4)}"
    other = f"hrtest-{secrets.token_hex(4)}"
    queue = saq_queue(redis_url, namespace)
    await queue.connect()
    notifications = SaqNotificationQueue(queue)
    await notifications.enqueue([uuid4(), uuid4()])
    client = Redis.from_url(redis_url)
    try:
        await client.set(f"{other}:kept", b"1", ex=60)
        before = [k async for k in client.scan_iter(match=f"{namespace}:*")]
        # The queue's own keys (queued, incomplete) are written with no expiry.
        assert any([await client.ttl(k) == -1 for k in before])

        servers.drop_namespace(redis_url, namespace)

        assert [k async for k in client.scan_iter(match=f"*{namespace}*")] == []
        assert await client.get(f"{other}:kept") == b"1"
    finally:
        await client.delete(f"{other}:kept")
        await client.aclose()
        await notifications.aclose()
