"""Setting a new password, by a change or a reset: one rule, one effect."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from uuid import UUID

from healthrecords.domain.emails import local_part
from healthrecords.domain.errors import FieldError, InvalidInput
from healthrecords.domain.passwords import PasswordPolicy
from healthrecords.domain.ports.security import PasswordHasher
from healthrecords.domain.ports.unit_of_work import UnitOfWork
from healthrecords.domain.users import User


async def acceptable_hash(
    policy: PasswordPolicy, hasher: PasswordHasher, user: User, new_password: str
) -> str:
    """The new password's hash, if it follows the registration rules (else 422)."""
    problem = policy.problem(new_password, local_part(user.email))
    if problem is not None:
        raise InvalidInput(
            "The new password is not acceptable.", [FieldError("new_password", problem)]
        )
    return await hasher.hash(new_password)


async def store_password(
    uow: UnitOfWork, user: User, new_hash: str, now: datetime, keep: UUID | None = None
) -> None:
    """Set it and end every session but `keep`; outstanding reset tokens die too."""
    await uow.users.update(dataclasses.replace(user, password_hash=new_hash, updated_at=now))
    await uow.refresh_tokens.revoke_all_for_user(user.id, now, keep=keep)
    await uow.password_resets.void_all(user.id, now)
