"""Sessions started and token pairs issued: after a password login, a second
factor, or a refresh."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from healthrecords.domain.actor import RequestContext
from healthrecords.domain.ports.security import AccessTokenCodec
from healthrecords.domain.ports.unit_of_work import UnitOfWork
from healthrecords.domain.tokens import RefreshToken, RefreshTokenFamily
from healthrecords.domain.users import User

REFRESH_TOKEN_BYTES = 32
MAX_USER_AGENT = 256
MAX_ADDRESS = 64


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session(user: User, context: RequestContext | None, now: datetime) -> RefreshTokenFamily:
    """A login's family, with what the user will recognise it by in the session list."""
    context = context or RequestContext()
    agent = context.user_agent
    return RefreshTokenFamily(
        id=uuid4(),
        user_id=user.id,
        created_at=now,
        last_used_at=now,
        client_address=(context.client_address or "")[:MAX_ADDRESS] or None,
        user_agent=agent[:MAX_USER_AGENT] if agent else None,
    )


class TokenIssuer:
    def __init__(self, access_tokens: AccessTokenCodec, refresh_ttl: timedelta) -> None:
        self._access_tokens = access_tokens
        self._refresh_ttl = refresh_ttl

    async def start_session(
        self, uow: UnitOfWork, user: User, context: RequestContext | None, now: datetime
    ) -> TokenPair:
        family = new_session(user, context, now)
        await uow.refresh_tokens.add_family(family)
        return await self.issue(uow, user, family.id, now)

    async def issue(self, uow: UnitOfWork, user: User, family_id: UUID, now: datetime) -> TokenPair:
        raw = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
        await uow.refresh_tokens.add(
            RefreshToken(
                id=uuid4(),
                family_id=family_id,
                user_id=user.id,
                token_hash=token_digest(raw),
                created_at=now,
                expires_at=now + self._refresh_ttl,
            )
        )
        access, claims = self._access_tokens.issue(user.id, user.role, family_id)
        lifetime = int((claims.expires_at - claims.issued_at).total_seconds())
        return TokenPair(access_token=access, refresh_token=raw, expires_in=lifetime)
