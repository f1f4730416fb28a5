# SKELETON: the notifications issue completes in-process delivery here.
from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID


class InProcessNotificationQueue:
    async def enqueue(self, notification_ids: Sequence[UUID]) -> None:
        return None
