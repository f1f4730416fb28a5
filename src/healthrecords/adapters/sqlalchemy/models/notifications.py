from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from healthrecords.adapters.sqlalchemy.models.base import Base


class NotificationRow(Base):
    """The outbox: written with the change that causes it, delivered later."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("recipient_id", "seq", name="uq_notification_recipient_seq"),
        Index(
            "ix_notification_undelivered",
            "created_at",
            postgresql_where=text("delivered_at IS NULL"),
            sqlite_where=text("delivered_at IS NULL"),
        ),
    )

    recipient_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
