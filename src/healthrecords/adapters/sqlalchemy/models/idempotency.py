from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from healthrecords.adapters.sqlalchemy.models.base import Base


class IdempotencyKeyRow(Base):
    """The first answer to a user's Idempotency-Key on one route, for 24 hours.

    The key is kept only as its SHA-256; the answer's body (a created record
    or annotation: health data) only as AES-GCM ciphertext.
    """

    __tablename__ = "idempotency_key"
    __table_args__ = (
        # Concurrent requests with one key: the second insert waits, then fails.
        UniqueConstraint("user_id", "scope", "key_digest", name="uq_idempotency_key_user_scope"),
        Index("ix_idempotency_key_expires", "expires_at"),
    )

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id"))
    scope: Mapped[str] = mapped_column(String(64))
    key_digest: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(64))
    body_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    subject_id: Mapped[UUID | None] = mapped_column(GUID, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
