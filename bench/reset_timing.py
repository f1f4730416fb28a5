"""Does a password-reset request take as long for an unknown email as for a known one?

`uv run python -m bench.reset_timing PORT [ROUNDS]` against a running server on
127.0.0.1:PORT started with a high HEALTHRECORDS_PASSWORD_RESET_PER_MINUTE
(and AUTH_/RATE_LIMIT_PER_MINUTE). Registers ROUNDS accounts (40), then
alternates one request for a known account (each its first, so a token is
made and a mail queued) with one for an unknown email, sequentially; prints
the median and p90 of each and the difference of the medians.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import sys
import time

import httpx

PASSWORD = "a-long-and-private-passphrase"


async def main(port: int, rounds: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        known = []
        for _ in range(rounds):
            email = f"bench-reset-{secrets.token_hex(6)}@example.test"
            body = {"email": email, "password": PASSWORD, "full_name": "B", "role": "patient"}
            assert (await client.post("/api/auth/register/", json=body)).status_code == 201
            known.append(email)
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        for email in known:
            for kind, address in (
                ("known", email),
                ("unknown", f"nobody-{secrets.token_hex(6)}@example.test"),
            ):
                started = time.perf_counter()
                answer = await client.post("/api/auth/password-reset/", json={"email": address})
                times[kind].append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 202, answer.text
    medians = {}
    for kind, values in times.items():
        values.sort()
        medians[kind] = statistics.median(values)
        p90 = values[int(len(values) * 0.9)]
        print(f"{kind:<8} n={len(values)} median={medians[kind]:.2f} ms p90={p90:.2f} ms")
    print(f"difference of medians: {medians['known'] - medians['unknown']:+.2f} ms")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 40))
