from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from healthrecords.adapters.sqlalchemy.models.base import Base


class RecordRow(Base):
    """A health record; title and content only as AES-GCM ciphertext."""

    __tablename__ = "health_record"
    __table_args__ = (
        # Keyset pagination, newest first, per patient file.
        Index("ix_health_record_patient_recorded", "patient_id", "recorded_at", "id"),
        # The same, within one record_type (?record_type= filter).
        Index(
            "ix_health_record_patient_type_recorded",
            "patient_id",
            "record_type",
            "recorded_at",
            "id",
        ),
        # Live records only: the all-files page's per-file lookups are index-only.
        Index(
            "ix_health_record_patient_live",
            "patient_id",
            "recorded_at",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    patient_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    author_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    record_type: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(64), index=True)
    title_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    content_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # Who made the current version (the author until someone else changes it).
    updated_by: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
