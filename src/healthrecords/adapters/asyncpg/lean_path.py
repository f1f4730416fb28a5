"""The works on the asyncpg pool, one set per process."""

from __future__ import annotations

from healthrecords.adapters.asyncpg.audit import GroupCommitAuditTrail
from healthrecords.adapters.asyncpg.data_keys import CurrentKeys
from healthrecords.adapters.asyncpg.pool import DirectPool
from healthrecords.adapters.asyncpg.read_work import DirectReadWork
from healthrecords.adapters.asyncpg.record_creation import DirectCreateWork
from healthrecords.adapters.asyncpg.records import DirectAssignmentFacts, DirectRecordReads
from healthrecords.adapters.security.cipher import FieldCipher


class LeanPath:
    def __init__(self, pool: DirectPool, cipher: FieldCipher) -> None:
        self._pool = pool
        self._cipher = cipher
        self._facts = DirectAssignmentFacts(pool)
        # Statements draw their own connections, so one read work serves
        # every request, and the audit rows of concurrent reads (and of
        # denied creates) are written together (group commit).
        self._trail = GroupCommitAuditTrail(pool)
        self._read_work = DirectReadWork(DirectRecordReads(pool, cipher), self._facts, self._trail)
        self._keys = CurrentKeys(pool, cipher.data_keys)

    def read_work(self) -> DirectReadWork:
        return self._read_work

    def create_work(self) -> DirectCreateWork:
        """One per create: it holds the record and audit row until commit."""
        return DirectCreateWork(self._pool, self._cipher, self._keys, self._facts, self._trail)
