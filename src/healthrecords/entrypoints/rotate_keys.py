"""`healthrecords rotate-keys`: rewrap data keys under the current master key.

Production: put the new master key first in HEALTHRECORDS_ENCRYPTION_KEYS (it
becomes current), keep the old ones after it, run this, then drop the old
keys. It also moves rows written before data keys under their patient's data
key, and with `--data-keys` replaces every patient's data key and re-encrypts
its rows. Safe to stop and run again (with `--data-keys-before` set to the
reported cutoff).

Embedded mode: `rotate-keys --new-key` generates the new master key itself.
Either way, in embedded mode the ring rotated to is first stored in
secrets.json, so a plain restart reads every row (the old keys stay in it).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
from datetime import UTC, datetime

from healthrecords import embedded_secrets
from healthrecords.adapters.sqlalchemy.key_rotation import RotationReport
from healthrecords.config import KEY_BYTES, PREFIX, Settings, parse_key_ring
from healthrecords.entrypoints.cli_help import describe

ENV_KEYS = PREFIX + "ENCRYPTION_KEYS"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rotate = describe(
        sub,
        "rotate-keys",
        "rewrap data keys under the current master key (and re-encrypt with --data-keys)",
        __doc__ or "",
    )
    rotate.add_argument(
        "--batch-size", type=int, default=500, help="rows per transaction (default: %(default)s)"
    )
    rotate.add_argument(
        "--data-keys",
        action="store_true",
        help="also replace each patient's data key and re-encrypt its rows (default: off)",
    )
    rotate.add_argument(
        "--data-keys-before",
        type=datetime.fromisoformat,
        help="with --data-keys: replace keys made before this time (resume a stopped run; "
        "default: now)",
    )
    rotate.add_argument(
        "--new-key",
        action="store_true",
        help="embedded mode: generate a new current master key, store it in secrets.json, "
        "then rotate",
    )


def _ring_text(settings: Settings) -> str:
    ring = settings.encryption_keys
    assert ring is not None, "load_settings guarantees encryption keys"
    return ",".join(
        f"{kid}:{embedded_secrets.encode(key)}"
        for kid, key in sorted(ring.keys.items(), key=lambda kv: kv[0] != ring.current)
    )


def _embedded_ring(settings: Settings, new_key: bool) -> Settings:
    """Store the ring to rotate to in secrets.json; the settings that use it."""
    ring = _ring_text(settings)
    if new_key:
        ring = f"{embedded_secrets.next_key_id(ring)}:{embedded_secrets.new_key()},{ring}"
    embedded_secrets.store_encryption_keys(settings.data_dir, ring)
    keys = parse_key_ring("ENCRYPTION_KEYS", ring, KEY_BYTES, True)
    return dataclasses.replace(settings, encryption_keys=keys)


async def _rotate(
    settings: Settings, batch_size: int, data_keys_before: datetime | None
) -> RotationReport:
    from healthrecords.bootstrap import build_container

    container = build_container(settings)
    try:
        return await container.rotate_encryption_keys(batch_size, data_keys_before)
    finally:
        await container.aclose()


def _refusal(args: argparse.Namespace, settings: Settings) -> str | None:
    if not 1 <= args.batch_size <= 10_000:
        return "--batch-size must be between 1 and 10000"
    if args.new_key and not settings.embedded:
        return (
            "--new-key manages embedded mode's secrets.json; with PostgreSQL put the new key "
            f"first in {ENV_KEYS} and run rotate-keys without it"
        )
    if args.new_key and os.environ.get(ENV_KEYS):
        return (
            f"--new-key generates the key itself: unset {ENV_KEYS}, or put your new key "
            "first in it and run rotate-keys without --new-key"
        )
    return None


def run(args: argparse.Namespace, settings: Settings) -> int:
    if refusal := _refusal(args, settings):
        print(refusal, file=sys.stderr)
        return 2
    cutoff = None
    if args.data_keys or args.data_keys_before:
        cutoff = args.data_keys_before or datetime.now(UTC)
        if cutoff.tzinfo is None:
            print("--data-keys-before needs a time zone (as reported: ...+00:00)", file=sys.stderr)
            return 2
    if settings.embedded:
        settings = _embedded_ring(settings, args.new_key)
    report = asyncio.run(_rotate(settings, args.batch_size, cutoff))
    print(json.dumps(dataclasses.asdict(report)))
    # Rows that would not decrypt are listed by id only; they need a look.
    return 1 if report.unreadable else 0
