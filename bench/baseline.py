"""The bare baseline: the same record read with one raw asyncpg query.

No auth, access check, audit or decryption; the ciphertext goes out as base64
so the response is about the size of the real one. Run by the harness with the
same ASGI server, flags, worker count and pool size as `healthrecords serve`.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec
from litestar import Litestar, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

QUERY = """
SELECT id, patient_id, author_id, record_type, title_ciphertext, content_ciphertext,
       recorded_at, created_at, updated_at, version
FROM health_record WHERE id = $1 AND deleted_at IS NULL
"""


class BareRecord(msgspec.Struct):
    id: UUID
    patient_id: UUID
    author_id: UUID
    title: str
    record_type: str
    content: str
    recorded_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int


def app_factory() -> Litestar:
    pool: asyncpg.Pool | None = None
    size = int(os.environ["BENCH_BASELINE_POOL"])

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        nonlocal pool
        # A fixed pool, as the real engine's (pool_size, max_overflow=0).
        pool = await asyncpg.create_pool(
            os.environ["BENCH_BASELINE_DSN"], min_size=size, max_size=size
        )
        try:
            yield
        finally:
            await pool.close()

    @get("/health", sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @get("/api/records/{record_id:uuid}/")
    async def read_record(record_id: FromPath[UUID]) -> BareRecord:
        assert pool is not None
        row = await pool.fetchrow(QUERY, record_id)
        if row is None:
            raise NotFoundException()
        return BareRecord(
            id=row["id"],
            patient_id=row["patient_id"],
            author_id=row["author_id"],
            title=base64.b64encode(row["title_ciphertext"]).decode(),
            record_type=row["record_type"],
            content=base64.b64encode(row["content_ciphertext"]).decode(),
            recorded_at=row["recorded_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            version=row["version"],
        )

    return Litestar(
        route_handlers=[health, read_record],
        lifespan=[lifespan],
        debug=False,
        logging_config=None,
        openapi_config=None,
    )
