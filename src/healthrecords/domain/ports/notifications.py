from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from healthrecords.domain.notifications import Notification, NotificationKind


class NotificationRepository(Protocol):
    async def add(
        self,
        recipient_id: UUID,
        kind: NotificationKind,
        payload: Mapping[str, str],
        at: datetime,
    ) -> Notification:
        """Store a notification with the recipient's next `seq` (the outbox row)."""
        ...

    async def get(self, notification_id: UUID) -> Notification | None: ...

    async def list_for(
        self,
        recipient_id: UUID,
        *,
        after_seq: int = 0,
        unread_only: bool = False,
        limit: int = 100,
    ) -> Sequence[Notification]:
        """Oldest first, seq strictly greater than `after_seq`."""
        ...

    async def list_recent(
        self,
        recipient_id: UUID,
        *,
        before_seq: int | None = None,
        unread_only: bool = False,
        limit: int = 100,
    ) -> Sequence[Notification]:
        """Newest first, seq strictly less than `before_seq` when given."""
        ...

    async def seq_of(self, recipient_id: UUID, notification_id: UUID) -> int | None:
        """The seq of one of the recipient's notifications; None if not theirs."""
        ...

    async def last_seq(self, recipient_id: UUID) -> int:
        """The highest committed seq of the recipient (0 when none)."""
        ...

    async def mark_read(self, notification_id: UUID, at: datetime) -> None: ...

    async def mark_delivered(self, notification_id: UUID, at: datetime) -> None: ...

    async def list_undelivered(self, created_before: datetime, limit: int) -> Sequence[UUID]: ...


class NotificationQueue(Protocol):
    """Hands committed notification ids to delivery (SAQ or in-process)."""

    async def enqueue(self, notification_ids: Sequence[UUID]) -> None:
        """Best effort: never raises; the sweep catches what this misses."""
        ...


class NotificationPublisher(Protocol):
    """Pushes one notification to the recipient's live sockets."""

    async def publish(self, notification: Notification) -> None: ...
