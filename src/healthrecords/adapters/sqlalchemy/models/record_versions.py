from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from healthrecords.adapters.sqlalchemy.models.base import Base


class RecordVersionRow(Base):
    """An earlier version of a health record, kept when it changed; ciphertext only.

    The AAD of its title and content binds record id, patient id and version.
    """

    __tablename__ = "health_record_version"
    __table_args__ = (
        # One row per (record, version); also the keyset index, newest first.
        UniqueConstraint("record_id", "version", name="uq_health_record_version_record_version"),
    )

    record_id: Mapped[UUID] = mapped_column(ForeignKey("health_record.id"))
    patient_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(Integer)
    record_type: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(64), index=True)
    title_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    content_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    updated_by: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
