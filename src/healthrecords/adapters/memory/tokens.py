from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from healthrecords.domain.pagination import Cursor
from healthrecords.domain.tokens import RefreshToken, RefreshTokenFamily


class MemoryRefreshTokenRepository:
    def __init__(self, families: dict[UUID, Any], tokens: dict[UUID, Any]) -> None:
        self._families: dict[UUID, RefreshTokenFamily] = families
        self._tokens: dict[UUID, RefreshToken] = tokens

    async def add_family(self, family: RefreshTokenFamily) -> None:
        self._families[family.id] = family

    async def get_family(self, family_id: UUID) -> RefreshTokenFamily | None:
        return self._families.get(family_id)

    async def live_sessions(self, family_ids: Collection[UUID]) -> Mapping[UUID, UUID]:
        found = (self._families.get(family_id) for family_id in family_ids)
        return {f.id: f.user_id for f in found if f is not None and f.revoked_at is None}

    async def touch_family(self, family_id: UUID, at: datetime) -> None:
        family = self._families.get(family_id)
        if family is not None:
            self._families[family_id] = dataclasses.replace(family, last_used_at=at)

    async def revoke_family(self, family_id: UUID, at: datetime) -> bool:
        family = self._families.get(family_id)
        if family is None or family.revoked_at is not None:
            return False
        self._families[family_id] = dataclasses.replace(family, revoked_at=at)
        return True

    async def revoke_all_for_user(
        self, user_id: UUID, at: datetime, keep: UUID | None = None
    ) -> None:
        for family in list(self._families.values()):
            if family.user_id == user_id and family.id != keep:
                await self.revoke_family(family.id, at)

    async def list_live_families(
        self, user_id: UUID, used_since: datetime, limit: int, after: Cursor | None
    ) -> Sequence[RefreshTokenFamily]:
        found = sorted(
            (
                f
                for f in self._families.values()
                if f.user_id == user_id and f.revoked_at is None and f.active_at > used_since
            ),
            key=lambda f: (f.created_at, f.id),
            reverse=True,
        )
        if after is not None:
            found = [f for f in found if (f.created_at, f.id) < (after.at, after.id)]
        return found[:limit]

    async def add(self, token: RefreshToken) -> None:
        if any(t.token_hash == token.token_hash for t in self._tokens.values()):
            raise ValueError("duplicate refresh token hash")
        self._tokens[token.id] = token

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        return next((t for t in self._tokens.values() if t.token_hash == token_hash), None)

    async def spend(self, token_id: UUID, at: datetime) -> bool:
        token = self._tokens.get(token_id)
        if token is None or token.spent_at is not None:
            return False
        self._tokens[token_id] = dataclasses.replace(token, spent_at=at)
        return True
