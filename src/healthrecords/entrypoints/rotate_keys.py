"""`healthrecords rotate-keys`: rewrap data keys under the current master key.

Put the new master key first in HEALTHRECORDS_ENCRYPTION_KEYS (it becomes
current), keep the old ones after it, run this, then drop the old keys. It also
moves rows written before data keys under their patient's data key, and with
`--data-keys` replaces every patient's data key and re-encrypts its rows. Safe
to stop and run again (with `--data-keys-before` set to the reported cutoff).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from datetime import UTC, datetime

from healthrecords.adapters.sqlalchemy.key_rotation import RotationReport
from healthrecords.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rotate = sub.add_parser(
        "rotate-keys",
        help="re-encrypt records, their kept versions and annotations under the current key",
    )
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
    rotate.add_argument(
        "--data-keys",
        action="store_true",
        help="also replace each patient's data key and re-encrypt its rows",
    )
    rotate.add_argument(
        "--data-keys-before",
        type=datetime.fromisoformat,
        help="with --data-keys: replace keys made before this time (resume a stopped run)",
    )


async def _rotate(
    settings: Settings, batch_size: int, data_keys_before: datetime | None
) -> RotationReport:
    from healthrecords.bootstrap import build_container

    container = build_container(settings)
    try:
        return await container.rotate_encryption_keys(batch_size, data_keys_before)
    finally:
        await container.aclose()


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.batch_size <= 10_000:
        print("--batch-size must be between 1 and 10000")
        return 2
    cutoff = None
    if args.data_keys or args.data_keys_before:
        cutoff = args.data_keys_before or datetime.now(UTC)
        if cutoff.tzinfo is None:
            print("--data-keys-before needs a time zone (as reported: ...+00:00)")
            return 2
    report = asyncio.run(_rotate(settings, args.batch_size, cutoff))
    print(json.dumps(dataclasses.asdict(report)))
    # Rows that would not decrypt are listed by id only; they need a look.
    return 1 if report.unreadable else 0
