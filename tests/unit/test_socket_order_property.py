"""Property: whatever the interleaving, a client that keeps the last id it saw
receives every notification exactly once, in the recipient's seq order.

Seeded and bounded: concurrent producers deliver out of order or not at all
(a lost pub/sub message), while the client resumes at random moments and
drops its link at random moments, losing whatever was in flight.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import msgspec
import pytest

from healthrecords.entrypoints.http.sockets.protocol import Disconnected
from healthrecords.entrypoints.http.sockets.session import NotificationSocket
from tests.unit.test_notification_socket_session import (
    DEADLINE,
    NAMESPACE,
    Harness,
    _always_active,
    _claims,
    harness,
)

RUNS = 50
PRODUCERS = 2


@dataclass
class Link:
    """One connection; after `drop` the frames still in flight are lost."""

    to_server: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    to_client: asyncio.Queue[dict[str, Any] | None] = field(default_factory=asyncio.Queue)
    dropped: bool = False

    async def receive_text(self) -> str:
        text = await self.to_server.get()
        if text is None:
            raise Disconnected
        return text

    async def send_text(self, data: str) -> None:
        if self.dropped:
            raise Disconnected
        self.to_client.put_nowait(msgspec.json.decode(data))

    async def close(self, code: int, reason: str) -> None:
        self.to_client.put_nowait(None)

    def say(self, message: dict[str, Any]) -> None:
        self.to_server.put_nowait(msgspec.json.encode(message).decode())

    def drop(self) -> None:
        self.dropped = True
        self.to_server.put_nowait(None)


async def _produce(h: Harness, rng: random.Random, count: int) -> None:
    held: list[UUID] = []
    for _ in range(count):
        (note,) = await h.world.notify(h.user)
        fate = rng.random()
        if fate < 0.6:
            await h.service.deliver(note.id)
        elif fate < 0.9:
            held.append(note.id)  # delivered later, out of order
        # else: never published, as when pub/sub loses it
        if held and rng.random() < 0.3:
            await h.service.deliver(held.pop(rng.randrange(len(held))))
        for _ in range(rng.randint(0, 3)):
            await asyncio.sleep(0)
    rng.shuffle(held)
    for note_id in held:
        await h.service.deliver(note_id)


async def _frame(link: Link, done: asyncio.Event | None) -> dict[str, Any] | None:
    """The next frame; None once `done` is set and nothing is waiting."""
    getting = asyncio.ensure_future(link.to_client.get())
    waits: set[asyncio.Future[Any]] = {getting}
    if done is not None:
        waits.add(asyncio.ensure_future(done.wait()))
    finished, pending = await asyncio.wait(
        waits, timeout=DEADLINE, return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
    assert finished, "no frame within the deadline"
    if getting in finished:
        return getting.result()
    return None


async def _connection(
    h: Harness, rng: random.Random, seen: list[str], done: asyncio.Event | None, want: int
) -> None:
    """One connection of the client, as the README's example behaves."""
    link = Link()
    session = NotificationSocket(
        link,
        authenticate=lambda token: _claims(h),
        watch=_always_active(),
        service=h.service,
        channels=h.plugin,
        namespace=NAMESPACE,
        clock=h.world.clock,
    )
    running = asyncio.create_task(session.run())
    last = seen[-1] if seen else None
    legacy = rng.random() < 0.3
    if legacy:  # auth, then a separate resume right after "ready"
        link.say({"type": "auth", "token": "t"})
    else:
        link.say({"type": "auth", "token": "t", "resume_after": last})
    assert await _frame(link, None) == {"type": "ready"}
    if legacy:
        link.say({"type": "resume", "after": last})
    budget = rng.randint(0, 12) if done is not None else None
    while budget is None or budget > 0:
        if done is None and len(seen) == want:
            break
        frame = await _frame(link, done)
        if frame is None:
            break
        assert frame["type"] == "notification", frame
        seen.append(frame["id"])
        if budget is not None:
            budget -= 1
        if rng.random() < 0.2:
            link.say({"type": "resume", "after": seen[-1]})
    link.drop()
    await asyncio.wait_for(running, DEADLINE)


@pytest.mark.parametrize("seed", range(RUNS))
async def test_received_ids_equal_the_database_in_seq_order(seed: int) -> None:
    rng = random.Random(seed)
    async with harness() as h:
        done = asyncio.Event()
        counts = [rng.randint(10, 30) for _ in range(PRODUCERS)]
        producers = asyncio.gather(*(_produce(h, random.Random(rng.random()), n) for n in counts))
        producers.add_done_callback(lambda _: done.set())
        seen: list[str] = []
        end = time.monotonic() + DEADLINE * 4
        while not done.is_set():
            assert time.monotonic() < end, "the client made no progress"
            await _connection(h, rng, seen, done, sum(counts))
        await producers
        await _connection(h, rng, seen, None, sum(counts))

        stored = await h.service.replay(h.user, 0, limit=1000)
        assert seen == [str(n.id) for n in stored]
