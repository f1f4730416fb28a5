"""`healthrecords`: the health-records API, its notification worker and admin tasks.

With no settings every command works on embedded mode's data in
./.healthrecords (SQLite, generated keys). Set HEALTHRECORDS_DATABASE_URL,
HEALTHRECORDS_REDIS_URL and the keys for production (see .env.example).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import version

from healthrecords.adapters.sqlalchemy import migrate as migrations
from healthrecords.adapters.sqlalchemy.engine import create_engine
from healthrecords.config import PREFIX, Settings, SettingsError, load_settings
from healthrecords.entrypoints import connection_errors, create_admin, rotate_keys
from healthrecords.entrypoints.cli_help import Formatter, describe
from healthrecords.entrypoints.logs import configure_logging

Command = Callable[[argparse.Namespace, Settings], int]
COMMANDS: dict[str, Command] = {}
DEFAULTS = Settings()


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        COMMANDS[name] = fn
        return fn

    return register


async def _migrate(settings: Settings) -> list[str]:
    engine = create_engine(settings.database_url)
    try:
        return await migrations.upgrade_reporting(engine)
    finally:
        await engine.dispose()


@command("migrate")
def migrate_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.create_database and asyncio.run(migrations.create_database(settings.database_url)):
        print("created the database")
    applied = asyncio.run(_migrate(settings))
    for revision in applied:
        print(f"applied {revision}")
    if not applied:
        print("nothing to apply: the database schema was already up to date")
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


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = describe(
        sub,
        "serve",
        "run the HTTP API",
        "Serve the HTTP API and the notification WebSocket. In embedded mode (no\n"
        "HEALTHRECORDS_DATABASE_URL) it first brings the SQLite schema up to date.",
    )
    serve.add_argument(
        "--host", help=f"address to listen on (default: {PREFIX}HOST, else {DEFAULTS.host})"
    )
    serve.add_argument(
        "--port", type=int, help=f"port to listen on (default: {PREFIX}PORT, else {DEFAULTS.port})"
    )
    serve.add_argument(
        "--workers",
        type=int,
        help=f"server processes (default: {PREFIX}WORKERS, else {DEFAULTS.workers})",
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="healthrecords", description=__doc__, formatter_class=Formatter
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {version('healthrecords')}")
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_serve(sub)
    describe(
        sub,
        "worker",
        "run the notification worker (SAQ on Redis)",
        "Deliver notifications queued in Redis to the API's sockets, and sweep up\n"
        "any a failed enqueue or a dead worker left behind. Production mode only.",
    )
    migrate = describe(
        sub,
        "migrate",
        "bring the database schema up to date",
        "Apply the schema migrations the database lacks and name each one applied.",
    )
    migrate.add_argument(
        "--create-database",
        action="store_true",
        help="create the PostgreSQL database first if it does not exist "
        "(the URL's user needs CREATEDB)",
    )
    for extend in EXTENSIONS:
        extend(sub)
    return root


# Later capabilities (create-admin, rotate-keys) add their sub-commands here.
EXTENSIONS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []
EXTENSIONS.append(create_admin.add_parser)
COMMANDS["create-admin"] = create_admin.run
EXTENSIONS.append(rotate_keys.add_parser)
COMMANDS["rotate-keys"] = rotate_keys.run


def _early_log_level() -> str:
    # Loading settings can already log (embedded mode's first start), so JSON
    # logging starts before them, at the level asked for when it is valid.
    level = os.environ.get(PREFIX + "LOG_LEVEL", "").upper()
    return level if level in {"DEBUG", "INFO", "WARNING", "ERROR"} else "INFO"


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Embedded data, secrets and the SQLite file are for this user's eyes only.
    os.umask(0o077)
    configure_logging(_early_log_level())
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return COMMANDS[args.command](args, settings)
    except Exception as exc:
        line = connection_errors.explain(exc, settings)
        if line is None:
            raise
        print(f"healthrecords {args.command}: {line}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
