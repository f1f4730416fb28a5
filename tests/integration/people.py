"""Users made straight in the database, for adapter tests that are not about accounts."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.domain.users import Role, User


async def add_user(container: Container, role: Role) -> Actor:
    now = datetime.now(UTC)
    user = User(
        id=uuid4(),
        email=f"{uuid4().hex}@example.test",
        full_name="Someone",
        role=role,
        is_active=True,
        password_hash="not-used",
        created_at=now,
        updated_at=now,
    )
    async with container.uow() as uow:
        await uow.users.add(user)
        await uow.commit()
    return Actor(id=user.id, role=role)
