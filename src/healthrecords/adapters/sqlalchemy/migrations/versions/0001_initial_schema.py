"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-30 05:36:54.831085
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_event",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("occurred_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("actor_id", GUID(length=16), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", GUID(length=16), nullable=True),
        sa.Column("patient_id", GUID(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index(
        "ix_audit_event_actor", "audit_event", ["actor_id", "occurred_at", "id"], unique=False
    )
    op.create_index("ix_audit_event_occurred", "audit_event", ["occurred_at", "id"], unique=False)
    op.create_index(
        "ix_audit_event_patient", "audit_event", ["patient_id", "occurred_at", "id"], unique=False
    )
    op.create_table(
        "user_account",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("notification_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("email", name=op.f("uq_user_account_email")),
    )
    op.create_index(op.f("ix_user_account_role"), "user_account", ["role"], unique=False)
    op.create_table(
        "assignment",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("doctor_id", GUID(length=16), nullable=False),
        sa.Column("patient_id", GUID(length=16), nullable=False),
        sa.Column("assigned_by", GUID(length=16), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("revoked_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("revoked_by", GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by"],
            ["user_account.id"],
            name=op.f("fk_assignment_assigned_by_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["user_account.id"], name=op.f("fk_assignment_doctor_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["user_account.id"], name=op.f("fk_assignment_patient_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["user_account.id"], name=op.f("fk_assignment_revoked_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
    )
    op.create_index(
        "ix_assignment_patient", "assignment", ["patient_id", "revoked_at"], unique=False
    )
    op.create_index(
        "uq_assignment_active",
        "assignment",
        ["doctor_id", "patient_id"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
        sqlite_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "health_record",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("patient_id", GUID(length=16), nullable=False),
        sa.Column("author_id", GUID(length=16), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("title_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("content_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_health_record_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["user_account.id"],
            name=op.f("fk_health_record_patient_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_record")),
    )
    op.create_index(op.f("ix_health_record_key_id"), "health_record", ["key_id"], unique=False)
    op.create_index(
        "ix_health_record_patient_recorded",
        "health_record",
        ["patient_id", "recorded_at", "id"],
        unique=False,
    )
    op.create_table(
        "notification",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("recipient_id", GUID(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("delivered_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("read_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["user_account.id"],
            name=op.f("fk_notification_recipient_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("recipient_id", "seq", name="uq_notification_recipient_seq"),
    )
    op.create_index(
        "ix_notification_undelivered",
        "notification",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("delivered_at IS NULL"),
        sqlite_where=sa.text("delivered_at IS NULL"),
    )
    op.create_table(
        "refresh_token_family",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("revoked_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_refresh_token_family_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_token_family")),
    )
    op.create_index(
        op.f("ix_refresh_token_family_user_id"), "refresh_token_family", ["user_id"], unique=False
    )
    op.create_table(
        "annotation",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("record_id", GUID(length=16), nullable=False),
        sa.Column("patient_id", GUID(length=16), nullable=False),
        sa.Column("author_id", GUID(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("body_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_annotation_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["user_account.id"], name=op.f("fk_annotation_patient_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["health_record.id"], name=op.f("fk_annotation_record_id_health_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation")),
    )
    op.create_index(op.f("ix_annotation_key_id"), "annotation", ["key_id"], unique=False)
    op.create_index(
        "ix_annotation_record_created", "annotation", ["record_id", "created_at"], unique=False
    )
    op.create_table(
        "refresh_token",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("family_id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("spent_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["refresh_token_family.id"],
            name=op.f("fk_refresh_token_family_id_refresh_token_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_refresh_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_token_token_hash")),
    )
    op.create_index(
        op.f("ix_refresh_token_family_id"), "refresh_token", ["family_id"], unique=False
    )


def downgrade() -> None:

    op.drop_index(op.f("ix_refresh_token_family_id"), table_name="refresh_token")
    op.drop_table("refresh_token")
    op.drop_index("ix_annotation_record_created", table_name="annotation")
    op.drop_index(op.f("ix_annotation_key_id"), table_name="annotation")
    op.drop_table("annotation")
    op.drop_index(op.f("ix_refresh_token_family_user_id"), table_name="refresh_token_family")
    op.drop_table("refresh_token_family")
    op.drop_index(
        "ix_notification_undelivered",
        table_name="notification",
        postgresql_where=sa.text("delivered_at IS NULL"),
        sqlite_where=sa.text("delivered_at IS NULL"),
    )
    op.drop_table("notification")
    op.drop_index("ix_health_record_patient_recorded", table_name="health_record")
    op.drop_index(op.f("ix_health_record_key_id"), table_name="health_record")
    op.drop_table("health_record")
    op.drop_index(
        "uq_assignment_active",
        table_name="assignment",
        postgresql_where=sa.text("revoked_at IS NULL"),
        sqlite_where=sa.text("revoked_at IS NULL"),
    )
    op.drop_index("ix_assignment_patient", table_name="assignment")
    op.drop_table("assignment")
    op.drop_index(op.f("ix_user_account_role"), table_name="user_account")
    op.drop_table("user_account")
    op.drop_index("ix_audit_event_patient", table_name="audit_event")
    op.drop_index("ix_audit_event_occurred", table_name="audit_event")
    op.drop_index("ix_audit_event_actor", table_name="audit_event")
    op.drop_table("audit_event")
