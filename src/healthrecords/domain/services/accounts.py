"""Accounts: registration, the admin's user list and activation, the doctors directory."""

from __future__ import annotations

import dataclasses
import logging
import unicodedata
from uuid import UUID, uuid4

from healthrecords.domain.actor import Actor
from healthrecords.domain.audit import Outcome
from healthrecords.domain.emails import email_problem, local_part, normalise_email
from healthrecords.domain.errors import (
    AuthenticationFailed,
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
)
from healthrecords.domain.pagination import Cursor, Page, check_limit
from healthrecords.domain.passwords import PasswordPolicy
from healthrecords.domain.ports.clock import Clock
from healthrecords.domain.ports.security import PasswordHasher
from healthrecords.domain.ports.unit_of_work import UnitOfWorkFactory
from healthrecords.domain.services.trail import Target, audit_event
from healthrecords.domain.users import Role, User

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 200
SELF_SERVICE_ROLES = (Role.PATIENT, Role.DOCTOR)
ADMINS_ONLY = "Only administrators may do this."


def _name_problem(name: str) -> str | None:
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        return f"must be 1 to {MAX_NAME_LENGTH} characters"
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return "must not contain control characters"
    return None


class AccountService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Clock,
        policy: PasswordPolicy,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._policy = policy

    async def register(self, email: str, password: str, full_name: str, role: str) -> User:
        """Self-service sign-up; only patients and doctors may register themselves."""
        allowed = {r.value for r in SELF_SERVICE_ROLES}
        role_error = None if role in allowed else "must be one of: " + ", ".join(sorted(allowed))
        return await self._create(email, password, full_name, role, role_error)

    async def create_admin(self, email: str, password: str, full_name: str) -> User:
        """For the command line only: there is no HTTP route to this."""
        return await self._create(email, password, full_name, Role.ADMIN.value, None)

    async def _create(
        self, email: str, password: str, full_name: str, role: str, role_error: str | None
    ) -> User:
        email = normalise_email(email)
        full_name = full_name.strip()
        problems = {
            "email": email_problem(email),
            "password": self._policy.problem(password, local_part(email)),
            "full_name": _name_problem(full_name),
            "role": role_error,
        }
        errors = [FieldError(field, message) for field, message in problems.items() if message]
        if errors:
            raise InvalidInput("The account details are not acceptable.", errors)
        password_hash = await self._hasher.hash(password)
        now = self._clock.now()
        user = User(
            id=uuid4(),
            email=email,
            full_name=full_name,
            role=Role(role),
            is_active=True,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
        )
        async with self._uow() as uow:
            if await uow.users.get_by_email(email) is not None:
                raise Conflict("An account with this email already exists.")
            await uow.users.add(user)
            await uow.commit()
        log.info("account created", extra={"user_id": str(user.id), "role": user.role.value})
        return user

    async def me(self, actor: Actor) -> User:
        async with self._uow() as uow:
            user = await uow.users.get(actor.id)
        if user is None or not user.is_active:
            raise AuthenticationFailed("The access token is missing, invalid or expired.")
        return user

    async def list_users(
        self, actor: Actor, role: Role | None, limit: int, cursor: str | None
    ) -> Page[User]:
        if actor.role is not Role.ADMIN:
            raise Forbidden(ADMINS_ONLY)
        return await self._page(role=role, active_only=False, limit=limit, cursor=cursor)

    async def list_doctors(self, actor: Actor, limit: int, cursor: str | None) -> Page[User]:
        """Active doctors, for any signed-in user (a patient picks one to assign)."""
        return await self._page(role=Role.DOCTOR, active_only=True, limit=limit, cursor=cursor)

    async def _page(
        self, *, role: Role | None, active_only: bool, limit: int, cursor: str | None
    ) -> Page[User]:
        limit = check_limit(limit)
        after = Cursor.decode(cursor) if cursor else None
        async with self._uow() as uow:
            found = list(
                await uow.users.list_page(
                    role=role, active_only=active_only, limit=limit + 1, after=after
                )
            )
        items = found[:limit]
        more = len(found) > limit
        return Page(items, Cursor(items[-1].created_at, items[-1].id).encode() if more else None)

    async def set_active(self, actor: Actor, user_id: UUID, is_active: bool) -> User:
        """Deactivating also revokes every refresh token of the user."""
        if actor.role is not Role.ADMIN:
            raise Forbidden(ADMINS_ONLY)
        if user_id == actor.id and not is_active:
            raise Conflict("Administrators cannot deactivate their own account.")
        now = self._clock.now()
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("No such user.")
            if user.is_active != is_active:
                user = dataclasses.replace(user, is_active=is_active, updated_at=now)
                await uow.users.update(user)
            if not is_active:
                await uow.refresh_tokens.revoke_all_for_user(user_id, now)
            # Who switched an account off or on is part of the trail admins read.
            action = "user.activate" if is_active else "user.deactivate"
            target = Target(action=action, type="user", id=user_id)
            await uow.audit.add(audit_event(actor, target, Outcome.SUCCESS, now))
            await uow.commit()
        log.info(
            "account activation changed",
            extra={"user_id": str(user_id), "is_active": is_active, "by": str(actor.id)},
        )
        return user
