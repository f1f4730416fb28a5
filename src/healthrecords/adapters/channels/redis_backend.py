"""Litestar's Redis pub/sub channels backend, made to survive Redis restarts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any

from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.exceptions import RedisError

from healthrecords.adapters.channels.wire import RESYNC

log = logging.getLogger(__name__)


class ResilientRedisPubSubBackend(RedisChannelsPubSubBackend):
    """Keeps relaying after Redis goes away and comes back.

    The stock backend's event stream ends at the first connection error, and
    the replica would never relay again. Here the stream retries, and after
    every reconnect it sends RESYNC on each subscribed channel: pub/sub keeps
    nothing for absent subscribers, so sockets read what they missed back from
    the database.
    """

    retry_delay = 0.5
    _watched: Any = None
    _resync = False
    _failing = False
    _lock: asyncio.Lock | None = None

    @property
    def _commands(self) -> asyncio.Lock:
        # redis-py's PubSub is not safe to connect from several tasks at once:
        # a burst of first subscribes opened parallel connections of which
        # only one was ever read, so those sockets never went live.
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def subscribe(self, channels: Any) -> None:
        async with self._commands:
            await super().subscribe(channels)
            connection = self._pub_sub.connection
            if connection is not None and connection is not self._watched:
                connection.register_connect_callback(self._on_reconnect)
                self._watched = connection

    async def unsubscribe(self, channels: Any) -> None:
        async with self._commands:
            await super().unsubscribe(channels)

    async def publish(self, data: bytes, channels: Any) -> None:
        channels = list(channels)
        try:
            await super().publish(data, channels)
        except (RedisError, OSError):
            # Once: a pooled connection that died with an earlier Redis outage
            # fails its first command; the retry takes a fresh one.
            await super().publish(data, channels)

    async def _on_reconnect(self, _connection: Any) -> None:
        self._resync = True

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        pubsub = self._pub_sub
        while True:
            await self._has_subscribed.wait()
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            except Exception as exc:
                # Whatever breaks, the relay keeps going; one log line per outage.
                if not self._failing:
                    log.warning(
                        "notification relay lost Redis, retrying",
                        extra={"error": type(exc).__name__},
                    )
                self._failing = self._resync = True
                await asyncio.sleep(self.retry_delay)
                continue
            if self._failing:
                log.info("notification relay reached Redis again")
                self._failing = False
            if self._resync:
                self._resync = False
                for channel in list(pubsub.channels):
                    yield channel.decode(), RESYNC
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode()
            live = pubsub.channels.keys() - pubsub.pending_unsubscribe_channels
            if channel.encode() in live:
                yield channel, message["data"]
