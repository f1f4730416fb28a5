"""`healthrecords create-admin`: the only way an administrator account comes to be."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from dataclasses import dataclass

from healthrecords.config import Settings
from healthrecords.domain.errors import Conflict, InvalidInput
from healthrecords.domain.services.two_factor import Enrolment
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
    create.add_argument(
        "--totp",
        action="store_true",
        help=(
            "turn two-factor sign-in on at once: prints the otpauth URI for an "
            "authenticator app and ten recovery codes, once (default: off; an "
            "administrator must then enrol at POST /api/auth/mfa/totp/ before "
            "anything else, see HEALTHRECORDS_MFA_REQUIRED_ROLES)"
        ),
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


@dataclass(frozen=True, slots=True)
class Created:
    user: User
    # With --totp: the otpauth URI and the recovery codes, shown once.
    two_factor: tuple[Enrolment, list[str]] | None = None


async def _create(
    settings: Settings, email: str, password: str, full_name: str, totp: bool
) -> Created:
    from healthrecords.adapters.sqlalchemy import migrate
    from healthrecords.bootstrap import build_container

    container = build_container(settings)
    try:
        if settings.embedded:
            await migrate.upgrade(container.engine)
        user = await container.accounts.create_admin(email, password, full_name)
        if not totp:
            return Created(user)
        return Created(user, await container.two_factor.enrol_at_creation(user))
    finally:
        await container.aclose()


def run(args: argparse.Namespace, settings: Settings) -> int:
    password = read_password(args.password_stdin)
    if password is None:
        return 2
    try:
        created = asyncio.run(_create(settings, args.email, password, args.full_name, args.totp))
    except InvalidInput as exc:
        for error in exc.errors:
            print(f"{error.field}: {error.message}", file=sys.stderr)
        return 1
    except Conflict as exc:
        print(exc.detail, file=sys.stderr)
        return 1
    user = created.user
    print(f"created administrator {user.email} ({user.id})")
    if created.two_factor is not None:
        enrolment, codes = created.two_factor
        print("two-factor sign-in is on; add this to an authenticator app (shown once):")
        print(enrolment.otpauth_uri)
        print("recovery codes, each good for one sign-in (shown once):")
        for code in codes:
            print(code)
    elif "admin" in settings.mfa_required_roles:
        print(
            "two-factor is required for administrators: enrol at POST /api/auth/mfa/totp/ "
            "after the first login (or create with --totp)"
        )
    return 0
