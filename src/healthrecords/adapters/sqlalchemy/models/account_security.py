"""Two-factor credentials, sign-in challenges and password resets.

Secrets a server must read back (the TOTP key) are AES-GCM ciphertext; the
one-time secrets a user presents (recovery codes, challenge and reset tokens)
are stored only as SHA-256 digests of high-entropy random values.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from healthrecords.adapters.sqlalchemy.models.base import Base


class TotpCredentialRow(Base):
    __tablename__ = "totp_credential"

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    key_id: Mapped[str] = mapped_column(String(64))
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # Null while the enrolment waits for its first code.
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    # The last 30-second step a code was accepted for: a code is good once.
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)


class RecoveryCodeRow(Base):
    __tablename__ = "recovery_code"

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class _OneTimeToken:
    """A user's one-time secret, kept as a digest, with its expiry and use."""

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class MfaChallengeRow(_OneTimeToken, Base):
    """A password-verified login waiting for its second factor."""

    __tablename__ = "mfa_challenge"

    # Codes tried against it, right or wrong; five void it.
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class PasswordResetRow(_OneTimeToken, Base):
    __tablename__ = "password_reset"
    # The per-account limit as a constraint: the n-th reset of a clock hour
    # takes slot n, so of concurrent requests only one can take each slot.
    __table_args__ = (
        UniqueConstraint("user_id", "hour", "slot", name="uq_password_reset_user_hour_slot"),
    )

    hour: Mapped[int] = mapped_column(BigInteger)
    slot: Mapped[int] = mapped_column(Integer)
