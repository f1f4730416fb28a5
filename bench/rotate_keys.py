"""`rotate-keys` on 100,000 records across 1,000 patients: before and after data keys.

    uv run python -m bench.rotate_keys [--patients 1000] [--records 100000]

Seeds a fresh PostgreSQL database (127.0.0.1:5432, $BENCH_POSTGRES_URL to
change) with records sealed as the code before data keys stored them (under a
master key), then times, each in its own process, only the rotation call:

1. before: the code before data keys (git archive of TODAYS_CODE) rotating to
   a new master key: every record re-encrypted;
2. the one-time re-encryption step after `migrate` (rows moved under data keys);
3. after: rotating to a new master key again: data keys rewrapped, no record;
4. `--data-keys`: every patient's key replaced, its records re-encrypted.

Bounded: one pass of each, a fresh database dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from uuid import uuid4

import asyncpg

from healthrecords.adapters.security.cipher import FieldCipher
from healthrecords.adapters.sqlalchemy import migrate
from healthrecords.adapters.sqlalchemy.engine import create_engine
from healthrecords.config import KeyRing

ROOT = Path(__file__).resolve().parents[1]
TODAYS_CODE = "f94fb65"  # main before data keys
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

# Runs in a child process: the project on its PYTHONPATH, settings from the env.
TIMED = """
import asyncio, json, sys, time
from datetime import datetime, UTC
from healthrecords.bootstrap import build_container
from healthrecords.config import load_settings

async def main():
    container = build_container(load_settings())
    extra = {"data_keys_before": datetime.now(UTC)} if "--data-keys" in sys.argv else {}
    started = time.perf_counter()
    report = await container.rotate_encryption_keys(500, **extra)
    elapsed = time.perf_counter() - started
    await container.aclose()
    print(json.dumps({"seconds": round(elapsed, 2), "report": vars(report)}))

asyncio.run(main())
"""


def ring_env(ring: dict[str, bytes]) -> str:
    return ",".join(f"{k}:{base64.urlsafe_b64encode(v).decode()}" for k, v in ring.items())


async def seed(url: str, key: KeyRing, patients: int, records: int) -> None:
    cipher = FieldCipher(key)
    now = datetime.now(UTC)
    conn = await asyncpg.connect(url)
    try:
        people = [uuid4() for _ in range(patients)]
        await conn.copy_records_to_table(
            "user_account",
            columns=[
                "id",
                "email",
                "full_name",
                "role",
                "is_active",
                "verified",
                "password_hash",
                "notification_seq",
                "created_at",
                "updated_at",
            ],
            records=[
                (p, f"p{i}@bench.test", "Bench Patient", "patient", True, False, "x", 0, now, now)
                for i, p in enumerate(people)
            ],
        )
        rows = []
        for i in range(records):
            rid, pid = uuid4(), people[i % patients]
            aad = {"table": "health_record", "row_id": rid, "patient_id": pid}
            kid, title = cipher.encrypt(f"title {i}", field="title", **aad)
            _, content = cipher.encrypt("x" * 200, field="content", **aad)
            at = now - timedelta(seconds=i)
            rows.append((rid, pid, pid, "note", kid, title, content, at, at, at, 1, pid))
        await conn.copy_records_to_table(
            "health_record",
            columns=[
                "id",
                "patient_id",
                "author_id",
                "record_type",
                "key_id",
                "title_ciphertext",
                "content_ciphertext",
                "recorded_at",
                "created_at",
                "updated_at",
                "version",
                "updated_by",
            ],
            records=rows,
        )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def timed(src: Path, url: str, ring: dict[str, bytes], *flags: str) -> dict[str, object]:
    env = {
        **os.environ,
        "PYTHONPATH": str(src),
        "HEALTHRECORDS_DATABASE_URL": url.replace("postgresql://", "postgresql+asyncpg://"),
        "HEALTHRECORDS_JWT_KEYS": ring_env({"jwt1": secrets.token_bytes(32)}),
        "HEALTHRECORDS_ENCRYPTION_KEYS": ring_env(ring),
        "HEALTHRECORDS_LOG_LEVEL": "WARNING",
    }
    env.pop("HEALTHRECORDS_REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", TIMED, *flags],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def checkout(into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", TODAYS_CODE, "src"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


async def run(patients: int, records: int) -> dict[str, object]:
    name = f"bench_rotate_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(SERVER)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = SERVER.rsplit("/", 1)[0] + f"/{name}"
    keys = {f"m{i}": secrets.token_bytes(32) for i in range(1, 5)}
    results: dict[str, object] = {"patients": patients, "records": records}
    try:
        engine = create_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
        await migrate.upgrade(engine, "0005")  # the schema the code before data keys runs on
        await seed(url, KeyRing(current="m1", keys={"m1": keys["m1"]}), patients, records)
        with tempfile.TemporaryDirectory() as tmp:
            old_src = checkout(Path(tmp))
            before = {"m2": keys["m2"], "m1": keys["m1"]}
            results["before_rotate_to_new_master"] = timed(old_src, url, before)
        await migrate.upgrade(engine)  # `healthrecords migrate`
        await engine.dispose()
        new_src = ROOT / "src"
        step = {"m3": keys["m3"], "m2": keys["m2"]}
        results["re_encryption_step_after_migrate"] = timed(new_src, url, step)
        after = {"m4": keys["m4"], "m3": keys["m3"]}
        results["after_rotate_to_new_master"] = timed(new_src, url, after)
        results["after_rotate_data_keys"] = timed(new_src, url, after, "--data-keys")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    if not (1 <= args.patients <= 10_000 and 1 <= args.records <= 1_000_000):
        raise SystemExit("--patients 1..10000, --records 1..1000000")
    results = asyncio.run(run(args.patients, args.records))
    results["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
