"""A channels subscriber that remembers when it had to drop a message."""

from __future__ import annotations

from litestar.channels.subscriber import Subscriber


class BoundedSubscriber(Subscriber):
    """With `max_backlog` and the "backoff" strategy a full queue drops new
    messages; this records it, so the socket is closed (the client resumes)
    rather than silently missing notifications or growing without bound."""

    overflowed = False

    def put_nowait(self, item: bytes | None) -> bool:
        accepted = super().put_nowait(item)
        if not accepted and item is not None:
            self.overflowed = True
        return accepted
