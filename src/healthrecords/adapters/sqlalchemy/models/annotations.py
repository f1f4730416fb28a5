from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from healthrecords.adapters.sqlalchemy.models.base import Base


class AnnotationRow(Base):
    """A doctor's note on a record; the body only as AES-GCM ciphertext."""

    __tablename__ = "annotation"
    __table_args__ = (Index("ix_annotation_record_created", "record_id", "created_at"),)

    record_id: Mapped[UUID] = mapped_column(ForeignKey("health_record.id"))
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    author_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    key_id: Mapped[str] = mapped_column(String(64), index=True)
    body_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
