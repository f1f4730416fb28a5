"""The asyncpg read path's pool answers Unavailable, never hangs, when it cannot serve."""

from __future__ import annotations

import pytest

from healthrecords.adapters.asyncpg import pool as pool_module
from healthrecords.adapters.asyncpg.pool import DirectPool
from healthrecords.adapters.asyncpg.statements import Compiled
from healthrecords.adapters.sqlalchemy.repositories.assignments import ASSIGNED_FILES
from healthrecords.domain.errors import Unavailable
from tests.faults.proxy import TcpProxy

FILES = Compiled.of(ASSIGNED_FILES)


async def test_a_pool_with_no_free_connection_is_unavailable_after_its_wait(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool_module, "POOL_TIMEOUT", 0.2)
    direct = DirectPool(database_url, 1)
    try:
        pool, held = await direct._acquire()
        with pytest.raises(Unavailable):
            await direct.fetch(FILES, {"doctor_id": None})
        await pool.release(held)
        # The connection back in the pool serves again.
        assert await direct.fetch(FILES, {"doctor_id": None}) == []
    finally:
        await direct.aclose()


async def test_a_refused_server_is_unavailable(database_url: str, pg_proxy: TcpProxy) -> None:
    direct = DirectPool(pg_proxy.url_for(database_url), 2)
    try:
        assert await direct.fetch(FILES, {"doctor_id": None}) == []
        pg_proxy.cut()
        with pytest.raises(Unavailable):
            await direct.fetch(FILES, {"doctor_id": None})
        pg_proxy.restore()
        assert await direct.fetch(FILES, {"doctor_id": None}) == []
    finally:
        await direct.aclose()
