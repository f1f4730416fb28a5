"""The one place notification frames leave a socket.

Frames go out strictly in the recipient's `seq` order, each at most once, so
a client that keeps the id of the last frame it got can always resume from
it without a gap. `cursor` is the highest seq sent, or the position the
client gave. Until a position is fixed (`resume_after` in auth, a first
`resume` message, or the grace period ending at "ready"'s last seq), live
messages are held back: the catch-up that fixing the position starts reads
them from the database, in order. After that a live message at `cursor + 1`
goes straight out; a higher one means one was missed (out-of-order workers,
a Redis blip), so the gap is read from the database; lower ones are
duplicates and are dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from healthrecords.adapters.channels.wire import Live, Message, Resync, client_frame
from healthrecords.domain.services.notifications import REPLAY_BATCH, NotificationService

Send = Callable[[dict[str, Any]], Awaitable[None]]

TOO_LATE = "resume must come before the first notification; reconnect with resume_after"


class OrderedDelivery:
    def __init__(self, user: UUID, service: NotificationService, send: Send, floor: int) -> None:
        self._user = user
        self._service = service
        self._send = send
        self._cursor = floor
        self._positioned = False
        # A live message came before the position was fixed (and was dropped).
        self._held = False
        self._first_sent: int | None = None

    @property
    def positioned(self) -> bool:
        return self._positioned

    async def start(self, after_seq: int | None = None) -> None:
        """Fix the position (None: where "ready" was) and send what follows it."""
        self._positioned = True
        if after_seq is not None:
            self._cursor = after_seq
        elif not self._held:
            # Nothing newer than "ready" arrived, and anything committed
            # later is published after it: no read needed.
            return
        await self._catch_up()

    async def resume(self, after_seq: int) -> str | None:
        """A `resume` message; an error detail when it cannot be kept in order."""
        if self._first_sent is None:
            await self.start(after_seq)
            return None
        if after_seq >= self._first_sent - 1:
            # Everything after it was sent on this socket or still will be.
            return None
        return TOO_LATE

    async def on_channel(self, message: Message) -> None:
        if not self._positioned:
            self._held = True
            return
        if isinstance(message, Live):
            if message.seq <= self._cursor:
                return
            if message.seq == self._cursor + 1:
                await self._out(message.seq, message.frame)
                return
        if isinstance(message, Live | Resync):
            await self._catch_up()

    async def _catch_up(self) -> None:
        """Send what the database holds beyond the cursor, in seq order."""
        while True:
            batch = await self._service.replay(self._user, self._cursor)
            for notification in batch:
                if notification.seq > self._cursor:
                    await self._out(notification.seq, client_frame(notification))
            if len(batch) < REPLAY_BATCH:
                return

    async def _out(self, seq: int, frame: dict[str, Any]) -> None:
        await self._send(frame)
        self._cursor = seq
        if self._first_sent is None:
            self._first_sent = seq
