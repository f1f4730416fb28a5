"""The command line as an operator meets it: help, version, migrate, one-line failures."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from healthrecords.entrypoints import cli
from tests import servers
from tests.faults.processes import free_port

COMMANDS = ["serve", "worker", "migrate", "create-admin", "rotate-keys"]


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHRECORDS_")}
    return subprocess.run(
        [sys.executable, "-m", "healthrecords.entrypoints.cli", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def production_env(database_url: str, **more: str) -> dict[str, str]:
    def key() -> str:
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()

    return {
        "HEALTHRECORDS_DATABASE_URL": database_url,
        "HEALTHRECORDS_JWT_KEYS": f"jwt1:{key()}",
        "HEALTHRECORDS_ENCRYPTION_KEYS": f"enc1:{key()}",
        **more,
    }


def help_of(*args: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        cli.main([*args])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        help_of("--version", capsys=capsys).strip() == f"healthrecords {version('healthrecords')}"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_explains_itself_its_flags_and_settings(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = help_of(command, "--help", capsys=capsys)
    description = out.split("\n\n")[1]
    assert len(description.split()) >= 8, out
    assert "settings read from the environment:" in out
    assert "HEALTHRECORDS_" in out.split("settings read from the environment:")[1]
    options = out.split("options:")[1].split("settings read")[0]
    for flag in [line.split()[0] for line in options.splitlines() if line.strip().startswith("--")]:
        if flag in {"--email", "--password-stdin", "--new-key", "--create-database"}:
            continue  # required, or a switch that is off unless given
        assert "default" in options.split(flag, 1)[1].split("\n  -")[0], (flag, out)


def test_serve_help_names_every_flag_default(capsys: pytest.CaptureFixture[str]) -> None:
    out = help_of("serve", "--help", capsys=capsys)
    assert "HEALTHRECORDS_HOST, else 127.0.0.1" in " ".join(out.split())
    assert "HEALTHRECORDS_PORT, else 8000" in " ".join(out.split())


def test_migrate_names_what_it_applied_then_says_nothing_was_left(tmp_path: Path) -> None:
    first = run_cli("migrate", cwd=tmp_path)
    second = run_cli("migrate", cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    applied = [line for line in first.stdout.splitlines() if line.startswith("applied ")]
    assert applied[0] == "applied 0001: initial schema"
    assert len(applied) >= 5
    assert second.returncode == 0
    assert second.stdout.strip() == ("nothing to apply: the database schema was already up to date")


def test_first_start_logs_only_json_including_the_generated_secrets_event(
    tmp_path: Path,
) -> None:
    done = run_cli("migrate", cwd=tmp_path)

    events = [json.loads(line) for line in done.stderr.splitlines()]
    assert "generated new embedded-mode secrets" in [e["message"] for e in events]


async def test_a_missing_database_is_one_line_and_create_database_makes_it(
    postgres_server: str, tmp_path: Path
) -> None:
    name = f"hr_cli_{secrets.token_hex(4)}"
    url = servers.with_database(postgres_server, name)
    try:
        missing = run_cli("migrate", cwd=tmp_path, **production_env(url))
        created = run_cli("migrate", "--create-database", cwd=tmp_path, **production_env(url))
    finally:
        await servers.drop_database(postgres_server, url)

    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0, missing.stderr
    assert f"database '{name}' does not exist" in missing.stderr
    assert "--create-database" in missing.stderr
    assert created.returncode == 0, created.stderr
    assert created.stdout.splitlines()[0] == "created the database"
    assert "applied 0001: initial schema" in created.stdout


@pytest.mark.parametrize("command", ["migrate", "create-admin", "rotate-keys"])
def test_a_refused_database_connection_is_one_line_naming_the_server(
    command: str, tmp_path: Path
) -> None:
    port = free_port()
    url = f"postgresql+asyncpg://someone:pw@127.0.0.1:{port}/healthrecords"
    extra = ["--email", "a@example.org", "--password-stdin"] if command == "create-admin" else []
    done = subprocess.run(
        [sys.executable, "-m", "healthrecords.entrypoints.cli", command, *extra],
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("HEALTHRECORDS_")},
            **production_env(url),
        },
        input="A-Long-Enough-Password-7\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    # JSON log lines may come first (the outage event); the operator's line is one.
    lines = [line for line in done.stderr.splitlines() if not line.startswith("{")]
    assert len(lines) == 1, done.stderr
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port} (connection refused)" in done.stderr
    assert "pw" not in done.stderr.replace("password", "")


def test_a_refused_redis_connection_is_one_line_naming_the_server(tmp_path: Path) -> None:
    port = free_port()
    env = production_env(
        "postgresql+asyncpg://someone@127.0.0.1:5432/healthrecords",
        HEALTHRECORDS_REDIS_URL=f"redis://127.0.0.1:{port}/0",
    )
    done = run_cli("worker", cwd=tmp_path, **env)

    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("{")]
    assert lines == [
        f"healthrecords worker: cannot reach Redis at 127.0.0.1:{port} (connection refused): "
        "start it, or fix HEALTHRECORDS_REDIS_URL"
    ]
