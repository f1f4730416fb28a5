"""Every table, imported together so the metadata is complete for Alembic."""

from healthrecords.adapters.sqlalchemy.models.account_security import (
    MfaChallengeRow,
    PasswordResetRow,
    RecoveryCodeRow,
    TotpCredentialRow,
)
from healthrecords.adapters.sqlalchemy.models.annotations import AnnotationRow
from healthrecords.adapters.sqlalchemy.models.assignments import AssignmentRow
from healthrecords.adapters.sqlalchemy.models.audit import AuditEventRow
from healthrecords.adapters.sqlalchemy.models.base import Base
from healthrecords.adapters.sqlalchemy.models.data_keys import DataKeyRow
from healthrecords.adapters.sqlalchemy.models.emergency_access import EmergencyAccessRow
from healthrecords.adapters.sqlalchemy.models.idempotency import IdempotencyKeyRow
from healthrecords.adapters.sqlalchemy.models.notifications import NotificationRow
from healthrecords.adapters.sqlalchemy.models.record_versions import RecordVersionRow
from healthrecords.adapters.sqlalchemy.models.records import RecordRow
from healthrecords.adapters.sqlalchemy.models.tokens import RefreshTokenFamilyRow, RefreshTokenRow
from healthrecords.adapters.sqlalchemy.models.users import UserRow

__all__ = [
    "AnnotationRow",
    "AssignmentRow",
    "AuditEventRow",
    "Base",
    "DataKeyRow",
    "EmergencyAccessRow",
    "IdempotencyKeyRow",
    "MfaChallengeRow",
    "NotificationRow",
    "PasswordResetRow",
    "RecordRow",
    "RecordVersionRow",
    "RecoveryCodeRow",
    "RefreshTokenFamilyRow",
    "RefreshTokenRow",
    "TotpCredentialRow",
    "UserRow",
]
