"""envelope encryption: a wrapped data key per patient; erased accounts; break-glass grants

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 12:20:00

Rows already stored stay under their master key and readable; `healthrecords
rotate-keys` moves them under their patient's data key in resumable batches
while the API serves (README, Encryption at rest).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patient_data_key",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("patient_id", GUID(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("wrap_key_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["user_account.id"],
            name=op.f("fk_patient_data_key_patient_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_data_key")),
        sa.UniqueConstraint("patient_id", "ref", name="uq_patient_data_key_patient_ref"),
    )
    op.create_index(
        op.f("ix_patient_data_key_wrap_key_id"), "patient_data_key", ["wrap_key_id"], unique=False
    )
    op.add_column("user_account", sa.Column("erased_at", DateTimeUTC(timezone=True), nullable=True))
    op.create_table(
        "emergency_access",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("doctor_id", GUID(length=16), nullable=False),
        sa.Column("patient_id", GUID(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("reason_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("ended_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("ended_by", GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["user_account.id"],
            name=op.f("fk_emergency_access_doctor_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["user_account.id"],
            name=op.f("fk_emergency_access_patient_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by"],
            ["user_account.id"],
            name=op.f("fk_emergency_access_ended_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_access")),
    )
    op.create_index(
        "ix_emergency_access_doctor_created", "emergency_access", ["doctor_id", "created_at"]
    )
    op.create_index("ix_emergency_access_created", "emergency_access", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_emergency_access_created", table_name="emergency_access")
    op.drop_index("ix_emergency_access_doctor_created", table_name="emergency_access")
    op.drop_table("emergency_access")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE user_account DROP COLUMN erased_at")
    else:
        op.drop_column("user_account", "erased_at")
    op.drop_index(op.f("ix_patient_data_key_wrap_key_id"), table_name="patient_data_key")
    op.drop_table("patient_data_key")
