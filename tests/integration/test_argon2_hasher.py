"""The argon2id adapter: OWASP parameters, off the event loop, rehash detection."""

from __future__ import annotations

import asyncio

from healthrecords.adapters.security.argon2_hasher import Argon2PasswordHasher
from healthrecords.config import Settings

PASSWORD = "Correct-Horse-Battery"


def default_hasher() -> Argon2PasswordHasher:
    s = Settings()
    return Argon2PasswordHasher(s.argon2_memory_kib, s.argon2_time_cost, s.argon2_parallelism)


async def test_hashes_with_argon2id_at_owasp_parameters() -> None:
    hasher = default_hasher()
    hashed = await hasher.hash(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await hasher.verify(hashed, PASSWORD)
    assert not await hasher.verify(hashed, PASSWORD + "!")
    assert not await hasher.verify("not-a-hash", PASSWORD)
    assert not hasher.needs_rehash(hashed)
    assert await hasher.hash(PASSWORD) != hashed  # salted


async def test_stronger_settings_ask_for_a_rehash() -> None:
    old = await default_hasher().hash(PASSWORD)
    stronger = Argon2PasswordHasher(32 * 1024, 3, 1)
    assert stronger.needs_rehash(old)
    assert await stronger.verify(old, PASSWORD)
    assert stronger.needs_rehash("garbage")


async def test_hashing_leaves_the_event_loop_free() -> None:
    hasher = default_hasher()
    hashing = asyncio.create_task(hasher.hash(PASSWORD))
    ran_meanwhile = asyncio.Event()

    async def other_work() -> None:
        # Were the hash computed on the loop, it would have finished before this ran.
        if not hashing.done():
            ran_meanwhile.set()

    await asyncio.sleep(0)
    await other_work()
    await hashing
    assert ran_meanwhile.is_set()
