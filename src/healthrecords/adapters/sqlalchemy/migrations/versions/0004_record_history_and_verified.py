"""records keep their versions and who made them; doctors can be verified

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-02 00:40:00

Existing records get updated_by = author_id; their history starts at their
current version (kept in the record row itself), so no version rows are made.
Existing accounts are unverified.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch copy: with foreign keys on, SQLite refuses to
    # drop and recreate a table other rows point at. There the column stays
    # nullable without a constraint (SQLite cannot add one); the app always sets it.
    op.add_column("health_record", sa.Column("updated_by", GUID(length=16), nullable=True))
    op.execute("UPDATE health_record SET updated_by = author_id")
    if not sqlite():
        op.alter_column("health_record", "updated_by", nullable=False)
        op.create_foreign_key(
            op.f("fk_health_record_updated_by_user_account"),
            "health_record",
            "user_account",
            ["updated_by"],
            ["id"],
        )
    op.add_column(
        "user_account",
        sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "health_record_version",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("record_id", GUID(length=16), nullable=False),
        sa.Column("patient_id", GUID(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("title_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("content_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_by", GUID(length=16), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["health_record.id"],
            name=op.f("fk_health_record_version_record_id_health_record"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["user_account.id"],
            name=op.f("fk_health_record_version_patient_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["user_account.id"],
            name=op.f("fk_health_record_version_updated_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_record_version")),
        sa.UniqueConstraint("record_id", "version", name="uq_health_record_version_record_version"),
    )
    op.create_index(
        op.f("ix_health_record_version_key_id"), "health_record_version", ["key_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_health_record_version_key_id"), table_name="health_record_version")
    op.drop_table("health_record_version")
    if sqlite():
        # SQLite 3.35+ drops a column in place (no table copy, see upgrade).
        op.execute("ALTER TABLE user_account DROP COLUMN verified")
        op.execute("ALTER TABLE health_record DROP COLUMN updated_by")
        return
    op.drop_column("user_account", "verified")
    op.drop_constraint(
        op.f("fk_health_record_updated_by_user_account"), "health_record", type_="foreignkey"
    )
    op.drop_column("health_record", "updated_by")
