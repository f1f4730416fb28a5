from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class NotificationKind(StrEnum):
    ASSIGNMENT_CREATED = "assignment.created"
    ASSIGNMENT_REVOKED = "assignment.revoked"
    ANNOTATION_CREATED = "annotation.created"
    RECORD_CREATED = "record.created"
    ACCESS_EMERGENCY = "access.emergency"


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """A message for one user; `seq` orders a recipient's notifications.

    `seq` is allocated per recipient inside the writing transaction, so a
    recipient's notifications commit in `seq` order and resuming after one
    never skips a later commit. Payloads carry ids and kinds, never health data.
    """

    id: UUID
    recipient_id: UUID
    seq: int
    kind: NotificationKind
    payload: dict[str, str] = field(default_factory=dict)
    created_at: datetime
    delivered_at: datetime | None = None
    read_at: datetime | None = None
