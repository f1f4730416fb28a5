from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from healthrecords.adapters.sqlalchemy.models.base import Base


class EmergencyAccessRow(Base):
    """A break-glass grant; its reason sealed under the patient's data key."""

    __tablename__ = "emergency_access"
    __table_args__ = (
        # The doctor's openings in the last 24 hours (the daily limit).
        Index("ix_emergency_access_doctor_created", "doctor_id", "created_at"),
        # The admins' list, newest first.
        Index("ix_emergency_access_created", "created_at", "id"),
    )

    doctor_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    key_id: Mapped[str] = mapped_column(String(64))
    reason_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    ended_by: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
