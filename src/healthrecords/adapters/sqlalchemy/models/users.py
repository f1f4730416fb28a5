from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from healthrecords.adapters.sqlalchemy.models.base import Base


class UserRow(Base):
    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A doctor account an admin has checked; shown to patients before they grant access.
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    # Two-factor sign-in is on (a confirmed TOTP credential).
    two_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Last notification seq handed out to this user; bumping it row-locks the
    # recipient, so one recipient's notifications commit in seq order.
    notification_seq: Mapped[int] = mapped_column(Integer, default=0)
    # Set by the erasure (crypto-shredding): the account's data keys are gone.
    erased_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
