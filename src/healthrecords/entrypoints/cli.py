"""`healthrecords` command line: serve, worker, migrate (and admin tasks)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence

from healthrecords.adapters.sqlalchemy import migrate as migrations
from healthrecords.adapters.sqlalchemy.engine import create_engine
from healthrecords.config import Settings, SettingsError, load_settings
from healthrecords.entrypoints import create_admin, rotate_keys
from healthrecords.entrypoints.logs import configure_logging

Command = Callable[[argparse.Namespace, Settings], int]
COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        COMMANDS[name] = fn
        return fn

    return register


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()


@command("migrate")
def migrate_command(_: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(_migrate(settings))
    print("database schema is up to date")
    return 0


@command("serve")
def serve_command(args: argparse.Namespace, settings: Settings) -> int:
    from healthrecords.entrypoints.connection_limits import resolve_limits
    from healthrecords.entrypoints.server import serve

    if settings.embedded:
        asyncio.run(_migrate(settings))
    # Workers re-read settings from the environment, so pin what the flags chose.
    os.environ["HEALTHRECORDS_DATA_DIR"] = str(settings.data_dir)
    serve(
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
        limits=resolve_limits(
            settings.max_connections,
            settings.max_connections_per_address,
            settings.header_timeout,
            settings.db_pool_size,
        ),
    )
    return 0


@command("worker")
def worker_command(_: argparse.Namespace, settings: Settings) -> int:
    from healthrecords.entrypoints.worker.main import run_worker

    return run_worker(settings)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="healthrecords", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    sub.add_parser("worker", help="run the notification worker (SAQ on Redis)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    for extend in EXTENSIONS:
        extend(sub)
    return root


# Later capabilities (create-admin, rotate-keys) add their sub-commands here.
EXTENSIONS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []
EXTENSIONS.append(create_admin.add_parser)
COMMANDS["create-admin"] = create_admin.run
EXTENSIONS.append(rotate_keys.add_parser)
COMMANDS["rotate-keys"] = rotate_keys.run


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Embedded data, secrets and the SQLite file are for this user's eyes only.
    os.umask(0o077)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    return COMMANDS[args.command](args, settings)


if __name__ == "__main__":
    sys.exit(main())
