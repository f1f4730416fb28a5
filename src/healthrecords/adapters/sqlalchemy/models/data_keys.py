from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from healthrecords.adapters.sqlalchemy.models.base import Base


class DataKeyRow(Base):
    """A patient's data key, only ever wrapped by a master key (security/data_keys.py).

    Rows point at it by `key_id` = `ref` within the same patient. Deleting the
    patient's rows here is the erasure: every row sealed under them is noise.
    """

    __tablename__ = "patient_data_key"
    __table_args__ = (
        UniqueConstraint("patient_id", "ref", name="uq_patient_data_key_patient_ref"),
    )

    patient_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    ref: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(Integer)
    wrap_key_id: Mapped[str] = mapped_column(String(64), index=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
