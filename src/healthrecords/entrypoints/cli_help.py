"""What each command's --help says beyond its flags: the settings it reads."""

from __future__ import annotations

import argparse

DATABASE = (
    "HEALTHRECORDS_DATABASE_URL (unset: embedded SQLite in HEALTHRECORDS_DATA_DIR, "
    "default ./.healthrecords)"
)
KEYS = (
    "HEALTHRECORDS_ENCRYPTION_KEYS, HEALTHRECORDS_JWT_KEYS (required with PostgreSQL; "
    "embedded mode generates them in <data dir>/secrets.json)"
)
LOGS = "HEALTHRECORDS_LOG_LEVEL (INFO)"

READS: dict[str, list[str]] = {
    "serve": [
        DATABASE,
        KEYS,
        "HEALTHRECORDS_REDIS_URL (unset: notifications in-process, limits per process)",
        "HEALTHRECORDS_HOST, HEALTHRECORDS_PORT, HEALTHRECORDS_WORKERS (the flags override them)",
        "HEALTHRECORDS_DB_POOL_SIZE, HEALTHRECORDS_MAX_CONNECTIONS, "
        "HEALTHRECORDS_MAX_CONNECTIONS_PER_ADDRESS, HEALTHRECORDS_HEADER_TIMEOUT",
        "every other HEALTHRECORDS_* setting listed in .env.example and the README",
        LOGS,
    ],
    "worker": [
        "HEALTHRECORDS_REDIS_URL (required), HEALTHRECORDS_REDIS_NAMESPACE (healthrecords)",
        "HEALTHRECORDS_DATABASE_URL (the same database as the API)",
        KEYS,
        LOGS,
    ],
    "migrate": [DATABASE, LOGS],
    "create-admin": [
        DATABASE,
        KEYS,
        "HEALTHRECORDS_ARGON2_* (password hashing cost)",
        "HEALTHRECORDS_MFA_REQUIRED_ROLES (admin: roles that must use two-factor)",
        LOGS,
    ],
    "rotate-keys": [DATABASE, KEYS, LOGS],
}


def epilog(command: str) -> str:
    return "settings read from the environment:\n" + "\n".join(
        f"  {line}" for line in READS[command]
    )


def describe(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
) -> argparse.ArgumentParser:
    """A sub-command whose help has a description, flag defaults and its settings."""
    return sub.add_parser(
        name,
        help=summary,
        description=description,
        epilog=epilog(name),
        formatter_class=Formatter,
    )


class Formatter(argparse.RawDescriptionHelpFormatter):
    """The description and epilog as written; each flag's help names its default."""
