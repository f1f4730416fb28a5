"""In-memory two-factor tables, for domain unit tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from healthrecords.domain.two_factor import MfaChallenge, TotpCredential


class MemoryTotpCredentials:
    def __init__(self, rows: dict[UUID, Any]) -> None:
        self._rows: dict[UUID, TotpCredential] = rows  # by user id

    async def get(self, user_id: UUID) -> TotpCredential | None:
        return self._rows.get(user_id)

    async def put(self, credential: TotpCredential) -> None:
        self._rows[credential.user_id] = credential

    async def confirm(self, user_id: UUID, at: datetime) -> bool:
        found = self._rows.get(user_id)
        if found is None or found.confirmed_at is not None:
            return False
        self._rows[user_id] = dataclasses.replace(found, confirmed_at=at)
        return True

    async def accept_step(self, user_id: UUID, step: int) -> bool:
        found = self._rows.get(user_id)
        if found is None or found.last_step >= step:
            return False
        self._rows[user_id] = dataclasses.replace(found, last_step=step)
        return True

    async def delete(self, user_id: UUID) -> None:
        self._rows.pop(user_id, None)


class MemoryRecoveryCodes:
    def __init__(self, rows: dict[UUID, Any]) -> None:
        # id -> (user id, code hash, used at)
        self._rows: dict[UUID, tuple[UUID, str, datetime | None]] = rows

    async def replace(self, user_id: UUID, code_hashes: Sequence[str], at: datetime) -> None:
        await self.delete_all(user_id)
        for code_hash in code_hashes:
            self._rows[uuid4()] = (user_id, code_hash, None)

    async def use(self, user_id: UUID, code_hash: str, at: datetime) -> bool:
        for key, (owner, digest, used) in self._rows.items():
            if owner == user_id and digest == code_hash and used is None:
                self._rows[key] = (owner, digest, at)
                return True
        return False

    async def delete_all(self, user_id: UUID) -> None:
        for key in [k for k, row in self._rows.items() if row[0] == user_id]:
            del self._rows[key]


class MemoryMfaChallenges:
    def __init__(self, rows: dict[UUID, Any]) -> None:
        self._rows: dict[UUID, MfaChallenge] = rows

    async def add(self, challenge: MfaChallenge) -> None:
        self._rows[challenge.id] = challenge

    async def attempt(self, token_hash: str, now: datetime, limit: int) -> MfaChallenge | None:
        for found in self._rows.values():
            if found.token_hash != token_hash:
                continue
            if found.used_at is not None or found.expires_at <= now or found.attempts >= limit:
                return None
            counted = dataclasses.replace(found, attempts=found.attempts + 1)
            self._rows[found.id] = counted
            return counted
        return None

    async def use(self, challenge_id: UUID, at: datetime) -> bool:
        found = self._rows.get(challenge_id)
        if found is None or found.used_at is not None:
            return False
        self._rows[challenge_id] = dataclasses.replace(found, used_at=at)
        return True
