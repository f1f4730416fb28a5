"""records: keyset index for listing one record_type of a patient file

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Without it, ?record_type= walks every newer record of other types.
    op.create_index(
        "ix_health_record_patient_type_recorded",
        "health_record",
        ["patient_id", "record_type", "recorded_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_health_record_patient_type_recorded", table_name="health_record")
