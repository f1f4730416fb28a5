"""account security: sessions shown to users, two-factor, password resets

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FAMILY_COLUMNS = ("last_used_at", "client_address", "user_agent")


def sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"],
        ["user_account.id"],
        name=op.f(f"fk_{table}_user_id_user_account"),
        ondelete="CASCADE",
    )


def _one_time_table(
    table: str, *extra: sa.Column[object], unique: sa.UniqueConstraint | None = None
) -> None:
    """A user's one-time secret, kept as a digest, with its expiry and use."""
    op.create_table(
        table,
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
        *extra,
        sa.Column("used_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        _user_fk(table),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("token_hash", name=op.f(f"uq_{table}_token_hash")),
        *([unique] if unique is not None else []),
    )
    op.create_index(op.f(f"ix_{table}_user_id"), table, ["user_id"], unique=False)


def upgrade() -> None:
    # Plain ADD COLUMN (see 0004): SQLite cannot copy a table others point at.
    op.add_column(
        "refresh_token_family",
        sa.Column("last_used_at", DateTimeUTC(timezone=True), nullable=True),
    )
    op.add_column(
        "refresh_token_family", sa.Column("client_address", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "refresh_token_family", sa.Column("user_agent", sa.String(length=256), nullable=True)
    )
    op.add_column(
        "user_account",
        sa.Column("two_factor", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "totp_credential",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("confirmed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        _user_fk("totp_credential"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_totp_credential")),
        sa.UniqueConstraint("user_id", name=op.f("uq_totp_credential_user_id")),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("used_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        _user_fk("recovery_code"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_code_code_hash")),
    )
    op.create_index(op.f("ix_recovery_code_user_id"), "recovery_code", ["user_id"], unique=False)
    _one_time_table("mfa_challenge", sa.Column("attempts", sa.Integer(), nullable=False))
    _one_time_table(
        "password_reset",
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        unique=sa.UniqueConstraint(
            "user_id", "hour", "slot", name="uq_password_reset_user_hour_slot"
        ),
    )


def downgrade() -> None:
    for table in ("password_reset", "mfa_challenge", "recovery_code"):
        op.drop_index(op.f(f"ix_{table}_user_id"), table_name=table)
        op.drop_table(table)
    op.drop_table("totp_credential")
    if sqlite():
        # SQLite 3.35+ drops a column in place (no table copy, see upgrade).
        op.execute("ALTER TABLE user_account DROP COLUMN two_factor")
        for column in FAMILY_COLUMNS:
            op.execute(f"ALTER TABLE refresh_token_family DROP COLUMN {column}")
        return
    op.drop_column("user_account", "two_factor")
    for column in FAMILY_COLUMNS:
        op.drop_column("refresh_token_family", column)
