"""The notification outbox in a dict, for domain unit tests and fakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from healthrecords.domain.notifications import Notification, NotificationKind


class MemoryNotificationRepository:
    def __init__(self, rows: dict[UUID, Any]) -> None:
        self._rows: dict[UUID, Notification] = rows

    async def add(
        self,
        recipient_id: UUID,
        kind: NotificationKind,
        payload: Mapping[str, str],
        at: datetime,
    ) -> Notification:
        seq = 1 + max(
            (n.seq for n in self._rows.values() if n.recipient_id == recipient_id), default=0
        )
        notification = Notification(
            id=uuid4(),
            recipient_id=recipient_id,
            seq=seq,
            kind=kind,
            payload=dict(payload),
            created_at=at,
        )
        self._rows[notification.id] = notification
        return notification

    async def get(self, notification_id: UUID) -> Notification | None:
        return self._rows.get(notification_id)

    async def list_for(
        self,
        recipient_id: UUID,
        *,
        after_seq: int = 0,
        unread_only: bool = False,
        limit: int = 100,
    ) -> Sequence[Notification]:
        mine = [n for n in self._mine(recipient_id, unread_only) if n.seq > after_seq]
        return sorted(mine, key=lambda n: n.seq)[:limit]

    async def list_recent(
        self,
        recipient_id: UUID,
        *,
        before_seq: int | None = None,
        unread_only: bool = False,
        limit: int = 100,
    ) -> Sequence[Notification]:
        mine = [
            n
            for n in self._mine(recipient_id, unread_only)
            if before_seq is None or n.seq < before_seq
        ]
        return sorted(mine, key=lambda n: n.seq, reverse=True)[:limit]

    async def seq_of(self, recipient_id: UUID, notification_id: UUID) -> int | None:
        found = self._rows.get(notification_id)
        return found.seq if found and found.recipient_id == recipient_id else None

    async def last_seq(self, recipient_id: UUID) -> int:
        return max(
            (n.seq for n in self._rows.values() if n.recipient_id == recipient_id), default=0
        )

    async def mark_read(self, notification_id: UUID, at: datetime) -> None:
        found = self._rows.get(notification_id)
        if found and found.read_at is None:
            self._rows[notification_id] = replace(found, read_at=at)

    async def mark_delivered(self, notification_id: UUID, at: datetime) -> None:
        found = self._rows.get(notification_id)
        if found and found.delivered_at is None:
            self._rows[notification_id] = replace(found, delivered_at=at)

    async def list_undelivered(self, created_before: datetime, limit: int) -> Sequence[UUID]:
        waiting = [
            n
            for n in self._rows.values()
            if n.delivered_at is None and n.created_at < created_before
        ]
        return [n.id for n in sorted(waiting, key=lambda n: n.created_at)[:limit]]

    def _mine(self, recipient_id: UUID, unread_only: bool) -> list[Notification]:
        return [
            n
            for n in self._rows.values()
            if n.recipient_id == recipient_id and not (unread_only and n.read_at is not None)
        ]
