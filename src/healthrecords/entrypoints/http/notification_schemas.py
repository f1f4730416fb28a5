"""Response bodies of the notification routes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from healthrecords.domain.notifications import Notification, NotificationKind
from healthrecords.domain.pagination import Page


class NotificationOut(msgspec.Struct):
    id: UUID
    kind: NotificationKind
    payload: dict[str, str]
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(n.id, n.kind, dict(n.payload), n.created_at, n.read_at)


class NotificationPage(msgspec.Struct):
    items: list[NotificationOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[Notification]) -> NotificationPage:
        return cls([NotificationOut.of(n) for n in page.items], page.next_cursor)
