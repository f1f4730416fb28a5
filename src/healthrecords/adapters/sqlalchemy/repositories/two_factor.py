"""TOTP credentials (secret encrypted at rest), recovery codes and sign-in challenges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy.models import (
    MfaChallengeRow,
    RecoveryCodeRow,
    TotpCredentialRow,
)
from healthrecords.adapters.sqlalchemy.repositories.rowcount import rowcount
from healthrecords.domain.two_factor import MfaChallenge, TotpCredential

Totp = TotpCredentialRow
TABLE = "totp_credential"


class SqlTotpCredentials:
    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self._session = session
        self._cipher = cipher

    async def get(self, user_id: UUID) -> TotpCredential | None:
        row = await self._session.scalar(select(Totp).where(Totp.user_id == user_id))
        if row is None:
            return None
        secret = self._cipher.decrypt(
            row.secret_ciphertext,
            key_id=row.key_id,
            table=TABLE,
            field="secret",
            row_id=row.id,
            patient_id=row.user_id,
        )
        return TotpCredential(
            id=row.id,
            user_id=row.user_id,
            secret=secret,
            created_at=row.created_at,
            confirmed_at=row.confirmed_at,
            last_step=row.last_step,
        )

    async def put(self, credential: TotpCredential) -> None:
        await self.delete(credential.user_id)
        key_id, blob = self._cipher.encrypt(
            credential.secret,
            table=TABLE,
            field="secret",
            row_id=credential.id,
            patient_id=credential.user_id,
        )
        self._session.add(
            Totp(
                id=credential.id,
                user_id=credential.user_id,
                key_id=key_id,
                secret_ciphertext=blob,
                created_at=credential.created_at,
                confirmed_at=credential.confirmed_at,
                last_step=credential.last_step,
            )
        )
        await self._session.flush()

    async def confirm(self, user_id: UUID, at: datetime) -> bool:
        statement = (
            update(Totp)
            .where(Totp.user_id == user_id, Totp.confirmed_at.is_(None))
            .values(confirmed_at=at)
        )
        return await rowcount(self._session, statement) == 1

    async def accept_step(self, user_id: UUID, step: int) -> bool:
        # Compare-and-set: a concurrent transaction with the same code waits
        # on the row lock, then finds the step taken and updates nothing.
        statement = (
            update(Totp)
            .where(Totp.user_id == user_id, Totp.last_step < step)
            .values(last_step=step)
        )
        return await rowcount(self._session, statement) == 1

    async def delete(self, user_id: UUID) -> None:
        await rowcount(self._session, delete(Totp).where(Totp.user_id == user_id))


class SqlRecoveryCodes:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def replace(self, user_id: UUID, code_hashes: Sequence[str], at: datetime) -> None:
        await self.delete_all(user_id)
        rows = [
            {"id": uuid4(), "user_id": user_id, "code_hash": h, "created_at": at}
            for h in code_hashes
        ]
        await self._session.execute(insert(RecoveryCodeRow), rows)

    async def use(self, user_id: UUID, code_hash: str, at: datetime) -> bool:
        statement = (
            update(RecoveryCodeRow)
            .where(
                RecoveryCodeRow.user_id == user_id,
                RecoveryCodeRow.code_hash == code_hash,
                RecoveryCodeRow.used_at.is_(None),
            )
            .values(used_at=at)
        )
        return await rowcount(self._session, statement) == 1

    async def delete_all(self, user_id: UUID) -> None:
        await rowcount(
            self._session, delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user_id)
        )


class SqlMfaChallenges:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, challenge: MfaChallenge) -> None:
        self._session.add(
            MfaChallengeRow(
                id=challenge.id,
                user_id=challenge.user_id,
                token_hash=challenge.token_hash,
                created_at=challenge.created_at,
                expires_at=challenge.expires_at,
                attempts=challenge.attempts,
                used_at=challenge.used_at,
            )
        )
        await self._session.flush()

    async def attempt(self, token_hash: str, now: datetime, limit: int) -> MfaChallenge | None:
        row = MfaChallengeRow
        # One statement counts the try only while tries are left, so
        # concurrent tries are serialised by the row lock.
        statement = (
            update(row)
            .where(
                row.token_hash == token_hash,
                row.used_at.is_(None),
                row.expires_at > now,
                row.attempts < limit,
            )
            .values(attempts=row.attempts + 1)
        )
        if await rowcount(self._session, statement) != 1:
            return None
        found = await self._session.scalar(select(row).where(row.token_hash == token_hash))
        if found is None:
            return None
        return MfaChallenge(
            id=found.id,
            user_id=found.user_id,
            token_hash=found.token_hash,
            created_at=found.created_at,
            expires_at=found.expires_at,
            attempts=found.attempts,
            used_at=found.used_at,
        )

    async def use(self, challenge_id: UUID, at: datetime) -> bool:
        statement = (
            update(MfaChallengeRow)
            .where(MfaChallengeRow.id == challenge_id, MfaChallengeRow.used_at.is_(None))
            .values(used_at=at)
        )
        return await rowcount(self._session, statement) == 1
