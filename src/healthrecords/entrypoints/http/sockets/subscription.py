"""A socket's subscription to its user's channel, proven live before use."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from litestar.channels import ChannelsPlugin

from healthrecords.adapters.channels.subscriber import BoundedSubscriber
from healthrecords.adapters.channels.wire import Message, Probe, decode, encode_probe
from healthrecords.entrypoints.http.sockets.protocol import CLOSE_TRY_LATER, SocketClosed

log = logging.getLogger(__name__)

PROBE_REPEAT = 0.5


@dataclass
class Subscription:
    subscriber: BoundedSubscriber
    # Messages that arrived while waiting for the probe.
    early: list[Message]

    @property
    def overflowed(self) -> bool:
        return self.subscriber.overflowed


@contextlib.asynccontextmanager
async def subscribed(
    channels: ChannelsPlugin, channel: str, probe_timeout: float
) -> AsyncIterator[Subscription]:
    known: dict[str, set[Any]] = channels._channels
    before = set(known.get(channel, ()))
    try:
        subscriber = await channels.subscribe(channel)
    except Exception as exc:
        log.warning("cannot subscribe a socket", extra={"error": type(exc).__name__})
        # The plugin registers the subscriber before asking Redis; left
        # there, it would make the channel look subscribed for good.
        for stray in set(known.get(channel, ())) - before:
            with contextlib.suppress(Exception):
                await channels.unsubscribe(stray, channel)
        if not known.get(channel, True):
            known.pop(channel, None)
        raise SocketClosed(CLOSE_TRY_LATER, "notifications unavailable, retry") from exc
    try:
        if not isinstance(subscriber, BoundedSubscriber):
            raise TypeError("the channels plugin must use BoundedSubscriber")
        early = await _until_live(channels, channel, subscriber, probe_timeout)
        yield Subscription(subscriber, early)
    finally:
        with contextlib.suppress(Exception):
            await channels.unsubscribe(subscriber, channel)
        # The plugin keeps an empty entry per channel ever used; one per
        # user who ever connected would grow without bound.
        if not known.get(channel, True):
            known.pop(channel, None)


async def _until_live(
    channels: ChannelsPlugin, channel: str, subscriber: BoundedSubscriber, within: float
) -> list[Message]:
    """Publish a probe to our own channel and wait for it: once it is back,
    the subscription is live (a bare SUBSCRIBE is not acknowledged).

    The probe is sent again every PROBE_REPEAT seconds: a second socket of
    the same user joins the channel without a SUBSCRIBE of its own, and its
    first probe can go out before the first socket's SUBSCRIBE took effect.
    """
    token = secrets.token_hex(8)
    early: list[Message] = []
    live = False
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(within):
            while not live:
                await channels.wait_published(encode_probe(token), channel)
                again_at = loop.time() + PROBE_REPEAT
                while not live and loop.time() < again_at:
                    arrival = subscriber.arrival()
                    done, _ = await asyncio.wait({arrival}, timeout=again_at - loop.time())
                    if not done:
                        arrival.cancel()
                        break
                    for raw in subscriber.take():
                        if raw is None:
                            raise ConnectionError("the subscription ended")
                        message = decode(raw)
                        if isinstance(message, Probe):
                            live = live or message.token == token
                        elif message is not None:
                            early.append(message)
            return early
    except Exception as exc:
        log.warning("socket subscription not live", extra={"error": type(exc).__name__})
    raise SocketClosed(CLOSE_TRY_LATER, "notifications unavailable, retry")
