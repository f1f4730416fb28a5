"""Settings from HEALTHRECORDS_* environment variables, validated at start-up.

No setting is needed in embedded mode: it keeps a SQLite file and generated
secrets in the data dir. Production mode (a PostgreSQL URL) must be given its
secrets, because generated ones would differ between replicas.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Final, TypeVar
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from healthrecords import embedded_secrets
from healthrecords.private_files import close_data_dir

PREFIX: Final = "HEALTHRECORDS_"
SECRETS_FILE: Final = embedded_secrets.SECRETS_FILE
KEY_BYTES: Final = embedded_secrets.KEY_BYTES
JWT_MIN_SECRET_BYTES: Final = 32

log = logging.getLogger(__name__)
T = TypeVar("T")


class SettingsError(ValueError):
    """One or more settings are invalid; the message names each and why."""


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Named keys; `current` signs or encrypts, every key verifies or decrypts."""

    current: str
    keys: Mapping[str, bytes]

    def __repr__(self) -> str:
        return f"KeyRing(current={self.current!r}, ids={sorted(self.keys)!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    data_dir: Path = Path(".healthrecords")
    database_url: str = "sqlite+aiosqlite:///.healthrecords/healthrecords.db"
    redis_url: str | None = None
    redis_namespace: str = "healthrecords"
    db_pool_size: int = 20
    # PostgreSQL: record get and list, and a patient's plain create, through
    # asyncpg directly (adapters/asyncpg), a second pool of db_pool_size; False
    # keeps them on SQLAlchemy (tests run both).
    db_direct: bool = True
    jwt_keys: KeyRing | None = None
    encryption_keys: KeyRing | None = None
    jwt_issuer: str = "healthrecords"
    jwt_audience: str = "healthrecords-api"
    access_token_ttl: int = 300
    refresh_token_ttl: int = 7 * 24 * 3600
    cors_origins: tuple[str, ...] = ()
    # Notification sockets per client address in one process: open, and not
    # yet authenticated (README, WebSocket).
    socket_cap_per_address: int = 256
    socket_unauthenticated_cap_per_address: int = 64
    hsts_max_age: int = 0
    max_body_bytes: int = 256 * 1024
    log_level: str = "INFO"
    rate_limit_per_minute: int = 600
    auth_rate_limit_per_minute: int = 60
    login_max_failures: int = 10
    login_failure_window: int = 15 * 60
    login_account_max_failures: int = 100
    login_account_window: int = 60 * 60
    redis_max_connections: int = 64
    redis_pool_timeout: int = 5
    argon2_memory_kib: int = 19 * 1024
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # Per server process; 0 derives it from the open-file limit (see server_limits).
    max_connections: int = 0
    max_connections_per_address: int = 100
    header_timeout: int = 10
    # Roles whose accounts must turn on two-factor sign-in before anything else.
    mfa_required_roles: tuple[str, ...] = ("admin",)
    # Security emails: an SMTP server, else .eml files in <data dir>/outbox/.
    smtp_url: str | None = None
    mail_from: str = "healthrecords@localhost"
    # Password-reset requests per client address per minute.
    password_reset_per_minute: int = 5
    # How long an unwrapped patient data key may stay in process memory.
    data_key_cache_seconds: int = 60
    # Break-glass: how long a grant lasts, and how many one doctor may open a day.
    emergency_access_minutes: int = 60
    emergency_access_daily_limit: int = 3

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")


def parse_key_ring(name: str, raw: str, min_bytes: int, exact: bool) -> KeyRing:
    """`id:base64url-key,id2:...`; the first listed key is the current one."""
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key_id, sep, encoded = part.partition(":")
        if not sep or not key_id:
            raise SettingsError(f"{PREFIX}{name}: each entry must be 'key_id:base64key'")
        try:
            key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError) as exc:
            raise SettingsError(f"{PREFIX}{name}: key {key_id!r} is not base64") from exc
        if (exact and len(key) != min_bytes) or len(key) < min_bytes:
            want = f"exactly {min_bytes}" if exact else f"at least {min_bytes}"
            raise SettingsError(f"{PREFIX}{name}: key {key_id!r} must decode to {want} bytes")
        if key_id in keys:
            raise SettingsError(f"{PREFIX}{name}: key id {key_id!r} appears twice")
        keys[key_id] = key
    if not keys:
        raise SettingsError(f"{PREFIX}{name}: give at least one 'key_id:base64key'")
    return KeyRing(current=next(iter(keys)), keys=keys)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name}: {raw!r} is not a whole number") from exc
    if not low <= value <= high:
        raise SettingsError(f"{PREFIX}{name}: must be between {low} and {high}, got {value}")
    return value


def _database_url(env: Mapping[str, str]) -> str:
    url = env.get(PREFIX + "DATABASE_URL", "").strip()
    if url and not url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        raise SettingsError(
            f"{PREFIX}DATABASE_URL: use a postgresql+asyncpg:// or sqlite+aiosqlite:// URL"
        )
    # A password given on its own is put into the URL escaped: pasted into the
    # URL as is, one with @ : / # would change what the URL means.
    password = env.get(PREFIX + "DATABASE_PASSWORD", "")
    if password and url.startswith("postgresql"):
        url = make_url(url).set(password=password).render_as_string(hide_password=False)
    elif password:
        raise SettingsError(f"{PREFIX}DATABASE_PASSWORD: only for a PostgreSQL DATABASE_URL")
    return url


def _redis_url(env: Mapping[str, str]) -> str | None:
    url = env.get(PREFIX + "REDIS_URL", "").strip() or None
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"{PREFIX}REDIS_URL: use a redis://, rediss:// or unix:// URL")
    return url


ROLES: Final = ("patient", "doctor", "admin")


def _smtp_url(env: Mapping[str, str]) -> str | None:
    url = env.get(PREFIX + "SMTP_URL", "").strip() or None
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}SMTP_URL: not a URL ({exc})") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname or port == 0:
        raise SettingsError(
            f"{PREFIX}SMTP_URL: use smtp://host[:587] or smtps://user:password@host[:465]"
        )
    return url


def _mail_from(env: Mapping[str, str]) -> str:
    sender = env.get(PREFIX + "MAIL_FROM", "").strip() or "healthrecords@localhost"
    _, address = parseaddr(sender)
    if "@" not in address or any(c in sender for c in "\r\n"):
        raise SettingsError(f"{PREFIX}MAIL_FROM: an address such as healthrecords@example.org")
    return sender


def _roles(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(PREFIX + name)
    if raw is None:
        return default
    roles = tuple(dict.fromkeys(r.strip().lower() for r in raw.split(",") if r.strip()))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise SettingsError(
            f"{PREFIX}{name}: unknown role(s) {', '.join(unknown)}; use a comma-separated "
            f"list of {', '.join(ROLES)} (or empty for none)"
        )
    return roles


def _generated_secrets(data_dir: Path) -> dict[str, str]:
    try:
        return embedded_secrets.load_or_create(data_dir)
    except embedded_secrets.ExposedSecrets as exc:
        raise SettingsError(str(exc)) from exc


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    errors: list[str] = []

    def attempt(fn: Callable[[], T], default: T) -> T:
        try:
            return fn()
        except SettingsError as exc:
            errors.append(str(exc))
            return default

    data_dir = Path(env.get(PREFIX + "DATA_DIR", "") or ".healthrecords")
    database_url = attempt(lambda: _database_url(env), "")
    redis_url = attempt(lambda: _redis_url(env), None)
    embedded = not database_url or database_url.startswith("sqlite")

    raw_jwt = env.get(PREFIX + "JWT_KEYS", "")
    raw_enc = env.get(PREFIX + "ENCRYPTION_KEYS", "")
    if embedded:
        close_data_dir(data_dir)
    if embedded and not (raw_jwt and raw_enc):
        empty: dict[str, str] = {}
        generated = attempt(lambda: _generated_secrets(data_dir), empty)
        raw_jwt = raw_jwt or generated.get("jwt_keys", "")
        raw_enc = raw_enc or generated.get("encryption_keys", "")
    elif not embedded:
        for name, raw in (("JWT_KEYS", raw_jwt), ("ENCRYPTION_KEYS", raw_enc)):
            if not raw:
                errors.append(f"{PREFIX}{name}: required with a PostgreSQL database")
    jwt_keys = (
        attempt(lambda: parse_key_ring("JWT_KEYS", raw_jwt, JWT_MIN_SECRET_BYTES, False), None)
        if raw_jwt
        else None
    )
    encryption_keys = (
        attempt(lambda: parse_key_ring("ENCRYPTION_KEYS", raw_enc, KEY_BYTES, True), None)
        if raw_enc
        else None
    )
    origins = tuple(o.strip() for o in env.get(PREFIX + "CORS_ORIGINS", "").split(",") if o.strip())
    log_level = env.get(PREFIX + "LOG_LEVEL", "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        errors.append(f"{PREFIX}LOG_LEVEL: one of DEBUG, INFO, WARNING, ERROR")

    def num(name: str, default: int, low: int, high: int) -> int:
        return attempt(lambda: _int(env, name, default, low, high), default)

    settings = Settings(
        data_dir=data_dir,
        database_url=database_url or f"sqlite+aiosqlite:///{data_dir / 'healthrecords.db'}",
        redis_url=redis_url,
        redis_namespace=env.get(PREFIX + "REDIS_NAMESPACE", "") or "healthrecords",
        db_pool_size=num("DB_POOL_SIZE", 20, 1, 500),
        jwt_keys=jwt_keys,
        encryption_keys=encryption_keys,
        jwt_issuer=env.get(PREFIX + "JWT_ISSUER", "healthrecords"),
        jwt_audience=env.get(PREFIX + "JWT_AUDIENCE", "healthrecords-api"),
        access_token_ttl=num("ACCESS_TOKEN_TTL", 300, 30, 3600),
        refresh_token_ttl=num("REFRESH_TOKEN_TTL", 7 * 24 * 3600, 300, 90 * 24 * 3600),
        cors_origins=origins,
        socket_cap_per_address=num("SOCKET_CAP_PER_ADDRESS", 256, 1, 100_000),
        socket_unauthenticated_cap_per_address=num(
            "SOCKET_UNAUTHENTICATED_CAP_PER_ADDRESS", 64, 1, 100_000
        ),
        hsts_max_age=num("HSTS_MAX_AGE", 0, 0, 2 * 365 * 24 * 3600),
        max_body_bytes=num("MAX_BODY_BYTES", 256 * 1024, 1024, 64 * 1024 * 1024),
        log_level=log_level,
        rate_limit_per_minute=num("RATE_LIMIT_PER_MINUTE", 600, 1, 1_000_000),
        auth_rate_limit_per_minute=num("AUTH_RATE_LIMIT_PER_MINUTE", 60, 1, 1_000_000),
        login_max_failures=num("LOGIN_MAX_FAILURES", 10, 1, 1000),
        login_failure_window=num("LOGIN_FAILURE_WINDOW", 15 * 60, 1, 24 * 3600),
        # NIST SP 800-63B: no more than 100 consecutive failures per account.
        login_account_max_failures=num("LOGIN_ACCOUNT_MAX_FAILURES", 100, 1, 100),
        login_account_window=num("LOGIN_ACCOUNT_WINDOW", 60 * 60, 1, 7 * 24 * 3600),
        redis_max_connections=num("REDIS_MAX_CONNECTIONS", 64, 4, 10_000),
        redis_pool_timeout=num("REDIS_POOL_TIMEOUT", 5, 1, 60),
        argon2_memory_kib=num("ARGON2_MEMORY_KIB", 19 * 1024, 19 * 1024, 4 * 1024 * 1024),
        argon2_time_cost=num("ARGON2_TIME_COST", 2, 2, 20),
        argon2_parallelism=num("ARGON2_PARALLELISM", 1, 1, 16),
        host=env.get(PREFIX + "HOST", "127.0.0.1"),
        port=num("PORT", 8000, 1, 65535),
        workers=num("WORKERS", 1, 1, 64),
        max_connections=num("MAX_CONNECTIONS", 0, 0, 1_000_000),
        max_connections_per_address=num("MAX_CONNECTIONS_PER_ADDRESS", 100, 0, 1_000_000),
        header_timeout=num("HEADER_TIMEOUT", 10, 1, 300),
        mfa_required_roles=attempt(lambda: _roles(env, "MFA_REQUIRED_ROLES", ("admin",)), ()),
        smtp_url=attempt(lambda: _smtp_url(env), None),
        mail_from=attempt(lambda: _mail_from(env), "healthrecords@localhost"),
        password_reset_per_minute=num("PASSWORD_RESET_PER_MINUTE", 5, 1, 10_000),
        data_key_cache_seconds=num("DATA_KEY_CACHE_SECONDS", 60, 0, 3600),
        emergency_access_minutes=num("EMERGENCY_ACCESS_MINUTES", 60, 1, 24 * 60),
        emergency_access_daily_limit=num("EMERGENCY_ACCESS_DAILY_LIMIT", 3, 1, 100),
    )
    if errors:
        raise SettingsError("invalid settings:\n  " + "\n  ".join(errors))
    return settings
