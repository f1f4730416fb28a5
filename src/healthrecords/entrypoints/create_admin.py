"""`healthrecords create-admin`: the only way an administrator account comes to be."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from healthrecords.config import Settings
from healthrecords.domain.errors import Conflict, InvalidInput
from healthrecords.domain.users import User
from healthrecords.entrypoints.cli_help import describe


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = describe(
        sub,
        "create-admin",
        "create an administrator account",
        "Create an administrator, the only way one comes to be. The password is\n"
        "prompted for twice, or read from standard input with --password-stdin.",
    )
    create.add_argument("--email", required=True, help="the administrator's sign-in address")
    create.add_argument(
        "--full-name", default="Administrator", help="display name (default: %(default)s)"
    )
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (else prompt)",
    )


def read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        print("no terminal to prompt on: pass --password-stdin", file=sys.stderr)
        return None
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        print("the passwords differ", file=sys.stderr)
        return None
    return first


async def _create(settings: Settings, email: str, password: str, full_name: str) -> User:
    from healthrecords.adapters.sqlalchemy import migrate
    from healthrecords.bootstrap import build_container

    container = build_container(settings)
    try:
        if settings.embedded:
            await migrate.upgrade(container.engine)
        return await container.accounts.create_admin(email, password, full_name)
    finally:
        await container.aclose()


def run(args: argparse.Namespace, settings: Settings) -> int:
    password = read_password(args.password_stdin)
    if password is None:
        return 2
    try:
        user = asyncio.run(_create(settings, args.email, password, args.full_name))
    except InvalidInput as exc:
        for error in exc.errors:
            print(f"{error.field}: {error.message}", file=sys.stderr)
        return 1
    except Conflict as exc:
        print(exc.detail, file=sys.stderr)
        return 1
    print(f"created administrator {user.email} ({user.id})")
    return 0
