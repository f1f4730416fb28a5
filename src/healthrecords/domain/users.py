from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    PATIENT = "patient"
    DOCTOR = "doctor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    id: UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    password_hash: str
    created_at: datetime
    updated_at: datetime
    # A doctor account an admin has checked (PATCH /api/users/{id}/); meaningless for others.
    verified: bool = False
    # Two-factor sign-in (TOTP) is on.
    two_factor: bool = False
    # Set when the patient's file was erased (its data key destroyed).
    erased_at: datetime | None = None
