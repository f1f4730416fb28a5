"""`healthrecords rotate-keys`: re-encrypt health data still under an older key.

Put the new key first in HEALTHRECORDS_ENCRYPTION_KEYS (it becomes current),
keep the old ones after it, run this, then drop the old keys. Safe to stop and
run again: it only touches rows not yet under the current key.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json

from healthrecords.adapters.sqlalchemy.key_rotation import RotationReport
from healthrecords.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rotate = sub.add_parser(
        "rotate-keys",
        help="re-encrypt records, their kept versions and annotations under the current key",
    )
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction")


async def _rotate(settings: Settings, batch_size: int) -> RotationReport:
    from healthrecords.bootstrap import build_container

    container = build_container(settings)
    try:
        return await container.rotate_encryption_keys(batch_size)
    finally:
        await container.aclose()


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.batch_size <= 10_000:
        print("--batch-size must be between 1 and 10000")
        return 2
    report = asyncio.run(_rotate(settings, args.batch_size))
    print(json.dumps(dataclasses.asdict(report)))
    # Rows that would not decrypt are listed by id only; they need a look.
    return 1 if report.unreadable else 0
