from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from healthrecords.domain.two_factor import MfaChallenge, TotpCredential


class TotpAlgorithm(Protocol):
    """RFC 6238 codes: 6 digits, 30-second steps, SHA-1."""

    def new_secret(self) -> str: ...

    def uri(self, secret: str, account: str, issuer: str) -> str:
        """The otpauth:// URI an authenticator app scans."""
        ...

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        """The step (within one either side of `at`) whose code is `code`."""
        ...


class TotpCredentials(Protocol):
    async def get(self, user_id: UUID) -> TotpCredential | None: ...

    async def put(self, credential: TotpCredential) -> None:
        """Store it in place of any credential the user has."""
        ...

    async def confirm(self, user_id: UUID, at: datetime) -> bool:
        """Confirm a pending credential; True only for the caller that did."""
        ...

    async def accept_step(self, user_id: UUID, step: int) -> bool:
        """Move last_step forward to `step`; False if a code of this step or a
        later one was accepted already (a replay), so each code counts once."""
        ...

    async def delete(self, user_id: UUID) -> None: ...


class RecoveryCodes(Protocol):
    async def replace(self, user_id: UUID, code_hashes: Sequence[str], at: datetime) -> None: ...

    async def use(self, user_id: UUID, code_hash: str, at: datetime) -> bool:
        """Spend an unused code of the user's; True only for the one caller that did."""
        ...

    async def delete_all(self, user_id: UUID) -> None: ...


class MfaChallenges(Protocol):
    async def add(self, challenge: MfaChallenge) -> None: ...

    async def attempt(self, token_hash: str, now: datetime, limit: int) -> MfaChallenge | None:
        """Count one try against an unused, unexpired challenge with fewer than
        `limit` tries; None when there is no such challenge (so concurrent tries
        cannot exceed the limit)."""
        ...

    async def use(self, challenge_id: UUID, at: datetime) -> bool:
        """Spend it; True only for the one caller that did."""
        ...
