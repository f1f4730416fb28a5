from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from healthrecords.adapters.sqlalchemy.models.base import Base


class AssignmentRow(Base):
    __tablename__ = "assignment"
    __table_args__ = (
        # At most one active assignment per doctor and patient, enforced by
        # the database so two concurrent requests cannot both create one.
        Index(
            "uq_assignment_active",
            "doctor_id",
            "patient_id",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
            sqlite_where=text("revoked_at IS NULL"),
        ),
        Index("ix_assignment_patient", "patient_id", "revoked_at"),
    )

    doctor_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    assigned_by: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    revoked_by: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
