from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from healthrecords.config import SettingsError, load_settings

KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
PG = "postgresql+asyncpg://u@db/hr"


def test_embedded_mode_needs_no_settings_and_generates_private_secrets(tmp_path: Path) -> None:
    settings = load_settings({"HEALTHRECORDS_DATA_DIR": str(tmp_path)})
    assert settings.embedded
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'healthrecords.db'}"
    secrets_file = tmp_path / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    again = load_settings({"HEALTHRECORDS_DATA_DIR": str(tmp_path)})
    assert again.jwt_keys == settings.jwt_keys
    assert again.encryption_keys == settings.encryption_keys


def test_production_mode_requires_its_secrets(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"HEALTHRECORDS_DATABASE_URL": PG, "HEALTHRECORDS_DATA_DIR": str(tmp_path)})
    assert "HEALTHRECORDS_JWT_KEYS" in str(raised.value)
    assert "HEALTHRECORDS_ENCRYPTION_KEYS" in str(raised.value)
    assert not (tmp_path / "secrets.json").exists()


def test_production_settings_are_read(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "HEALTHRECORDS_DATABASE_URL": PG,
            "HEALTHRECORDS_REDIS_URL": "redis://cache:6379/0",
            "HEALTHRECORDS_JWT_KEYS": f"new:{KEY},old:{KEY}",
            "HEALTHRECORDS_ENCRYPTION_KEYS": f"e2:{KEY}",
            "HEALTHRECORDS_DB_POOL_SIZE": "30",
            "HEALTHRECORDS_CORS_ORIGINS": "https://a.example, https://b.example",
        }
    )
    assert not settings.embedded
    assert settings.jwt_keys is not None
    assert settings.jwt_keys.current == "new"
    assert set(settings.jwt_keys.keys) == {"new", "old"}
    assert settings.db_pool_size == 30
    assert settings.cors_origins == ("https://a.example", "https://b.example")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "mysql://x", "postgresql+asyncpg://"),
        ("REDIS_URL", "http://x", "redis://"),
        ("PORT", "eighty", "not a whole number"),
        ("PORT", "70000", "between 1 and 65535"),
        ("DB_POOL_SIZE", "0", "between 1 and 500"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("ENCRYPTION_KEYS", "e1:c2hvcnQ=", "exactly 32 bytes"),
        ("JWT_KEYS", "no-colon", "key_id:base64key"),
        ("JWT_KEYS", "j1:c2hvcnQ=", "at least 32 bytes"),
        ("ARGON2_MEMORY_KIB", "1024", "between 19456"),
        # NIST SP 800-63B: no more than 100 failures per account.
        ("LOGIN_ACCOUNT_MAX_FAILURES", "101", "between 1 and 100"),
        ("REDIS_MAX_CONNECTIONS", "2", "between 4"),
        ("MFA_REQUIRED_ROLES", "admin,superuser", "unknown role(s) superuser"),
        ("SMTP_URL", "http://mail.example", "smtp://host"),
        ("SMTP_URL", "smtp://", "smtp://host"),
        ("SMTP_URL", "smtp://mail.example:99999", "not a URL"),
        ("MAIL_FROM", "nobody", "an address"),
        ("PASSWORD_RESET_PER_MINUTE", "0", "between 1"),
    ],
)
def test_each_bad_value_is_named(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"HEALTHRECORDS_DATA_DIR": str(tmp_path), f"HEALTHRECORDS_{name}": value})
    assert f"HEALTHRECORDS_{name}" in str(raised.value)
    assert message in str(raised.value)


def test_account_security_settings_are_read(tmp_path: Path) -> None:
    defaults = load_settings({"HEALTHRECORDS_DATA_DIR": str(tmp_path)})
    assert defaults.mfa_required_roles == ("admin",)
    assert defaults.smtp_url is None
    settings = load_settings(
        {
            "HEALTHRECORDS_DATA_DIR": str(tmp_path),
            "HEALTHRECORDS_MFA_REQUIRED_ROLES": " Doctor, admin ,doctor",
            "HEALTHRECORDS_SMTP_URL": "smtps://mailer:s3cret@mail.example:465",
            "HEALTHRECORDS_MAIL_FROM": "Health Records <no-reply@example.org>",
            "HEALTHRECORDS_PASSWORD_RESET_PER_MINUTE": "3",
        }
    )
    assert settings.mfa_required_roles == ("doctor", "admin")
    assert settings.smtp_url == "smtps://mailer:s3cret@mail.example:465"
    assert settings.mail_from == "Health Records <no-reply@example.org>"
    assert settings.password_reset_per_minute == 3
    # Empty means nobody must use two-factor.
    none = {"HEALTHRECORDS_DATA_DIR": str(tmp_path), "HEALTHRECORDS_MFA_REQUIRED_ROLES": ""}
    assert load_settings(none).mfa_required_roles == ()


def test_key_material_never_appears_in_repr(tmp_path: Path) -> None:
    settings = load_settings({"HEALTHRECORDS_DATA_DIR": str(tmp_path)})
    assert settings.jwt_keys is not None
    for key in settings.jwt_keys.keys.values():
        assert base64.urlsafe_b64encode(key).decode().rstrip("=") not in repr(settings)


def test_a_secrets_file_others_can_read_is_refused(tmp_path: Path) -> None:
    load_settings({"HEALTHRECORDS_DATA_DIR": str(tmp_path)})
    secrets_file = tmp_path / "secrets.json"
    secrets_file.chmod(0o644)
    with pytest.raises(SettingsError) as raised:
        load_settings({"HEALTHRECORDS_DATA_DIR": str(tmp_path)})
    message = str(raised.value)
    assert f"{secrets_file}: mode 0644" in message
    assert f"chmod 600 {secrets_file}" in message
    assert "rotate" in message
    assert '"jwt1:' not in message  # the refusal never quotes the keys


def test_a_data_dir_others_can_open_is_closed_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    load_settings({"HEALTHRECORDS_DATA_DIR": str(data_dir)})
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert any("changed its mode to 0700" in r.getMessage() for r in caplog.records)


def test_the_server_refuses_to_start_on_an_exposed_secrets_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from healthrecords.entrypoints.cli import main

    load_settings({"HEALTHRECORDS_DATA_DIR": str(tmp_path)})
    (tmp_path / "secrets.json").chmod(0o640)
    for name in ("DATABASE_URL", "JWT_KEYS", "ENCRYPTION_KEYS"):
        monkeypatch.delenv(f"HEALTHRECORDS_{name}", raising=False)
    monkeypatch.setenv("HEALTHRECORDS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("os.umask", lambda mask: 0o022)  # not this test process's umask

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server started")

    monkeypatch.setattr("healthrecords.entrypoints.server.serve", started)
    assert main(["serve"]) == 2
    assert "mode 0640 lets other users read the keys" in capsys.readouterr().err


@pytest.mark.parametrize("password", ["p@ss:w/rd#1?%", "plain", "a b+c"])
def test_a_database_password_given_apart_is_escaped_into_the_url(
    tmp_path: Path, password: str
) -> None:
    from sqlalchemy.engine import make_url

    settings = load_settings(
        {
            "HEALTHRECORDS_DATA_DIR": str(tmp_path),
            "HEALTHRECORDS_DATABASE_URL": "postgresql+asyncpg://hr@db:5432/healthrecords",
            "HEALTHRECORDS_DATABASE_PASSWORD": password,
            "HEALTHRECORDS_JWT_KEYS": f"j:{KEY}",
            "HEALTHRECORDS_ENCRYPTION_KEYS": f"e:{KEY}",
        }
    )
    url = make_url(settings.database_url)
    assert (url.username, url.password, url.host, url.port) == ("hr", password, "db", 5432)
    assert url.database == "healthrecords"


def test_a_database_password_needs_a_postgresql_url(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(
            {"HEALTHRECORDS_DATA_DIR": str(tmp_path), "HEALTHRECORDS_DATABASE_PASSWORD": "x"}
        )
    assert "HEALTHRECORDS_DATABASE_PASSWORD" in str(raised.value)
