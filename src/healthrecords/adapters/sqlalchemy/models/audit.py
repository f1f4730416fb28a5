from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from healthrecords.adapters.sqlalchemy.models.base import Base


class AuditEventRow(Base):
    """Append-only. No foreign keys: the trail outlives what it names."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_occurred", "occurred_at", "id"),
        Index("ix_audit_event_patient", "patient_id", "occurred_at", "id"),
        Index("ix_audit_event_actor", "actor_id", "occurred_at", "id"),
    )

    occurred_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    actor_id: Mapped[UUID | None] = mapped_column(GUID, nullable=True)
    actor_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[UUID | None] = mapped_column(GUID, nullable=True)
    patient_id: Mapped[UUID | None] = mapped_column(GUID, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
