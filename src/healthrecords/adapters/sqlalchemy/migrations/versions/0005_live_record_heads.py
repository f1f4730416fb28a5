"""records: covering index of the live records, for the doctor's all-files page

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-02 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The all-files page looks up each assigned file's newest live record:
    # with deleted_at in the predicate this is an index-only scan, no heap fetch.
    op.create_index(
        "ix_health_record_patient_live",
        "health_record",
        ["patient_id", "recorded_at", "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
        sqlite_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_health_record_patient_live", table_name="health_record")
