from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from healthrecords.domain.pagination import Cursor
from healthrecords.domain.tokens import RefreshToken, RefreshTokenFamily


class RefreshTokenRepository(Protocol):
    async def add_family(self, family: RefreshTokenFamily) -> None: ...

    async def get_family(self, family_id: UUID) -> RefreshTokenFamily | None: ...

    async def live_sessions(self, family_ids: Collection[UUID]) -> Mapping[UUID, UUID]:
        """The user of each unrevoked family among `family_ids`; the others are absent."""
        ...

    async def touch_family(self, family_id: UUID, at: datetime) -> None:
        """Record that the session was used (a refresh) at `at`."""
        ...

    async def revoke_family(self, family_id: UUID, at: datetime) -> bool:
        """Revoke it if still live; True only for the caller that revoked it."""
        ...

    async def revoke_all_for_user(
        self, user_id: UUID, at: datetime, keep: UUID | None = None
    ) -> None:
        """Revoke every live family of the user except `keep`."""
        ...

    async def list_live_families(
        self, user_id: UUID, used_since: datetime, limit: int, after: Cursor | None
    ) -> Sequence[RefreshTokenFamily]:
        """Unrevoked families used (created or refreshed) after `used_since`,
        newest first by (created_at, id), strictly after the cursor."""
        ...

    async def add(self, token: RefreshToken) -> None: ...

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None: ...

    async def spend(self, token_id: UUID, at: datetime) -> bool:
        """Mark the token spent; True only for the one caller that spent it."""
        ...
