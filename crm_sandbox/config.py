"""Configuration: safe defaults, then ``instance/config.py``, then the environment."""

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet

if TYPE_CHECKING:
    from flask import Config

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "seed"
TEMPLATE_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"


def secret_file(path: Path, make: Callable[[], bytes]) -> bytes:
    """The bytes of a key file readable by its owner only, created with ``make()`` on first use.

    Several processes starting at once (gunicorn workers) agree: the first to create the file wins
    and the others read what it wrote.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(make())
    return path.read_bytes()


def instance_secret(instance_path: str, name: str) -> str:
    """Return a random secret kept in the instance folder (mode 0600), creating it on first use."""
    return secret_file(Path(instance_path) / name, lambda: secrets.token_hex(32).encode()).decode().strip()


def field_keys_file(instance_path: str) -> list[str]:
    """The Fernet keys kept in ``instance/field_keys`` (mode 0600), creating the first on first use."""
    text = secret_file(Path(instance_path) / "field_keys", lambda: Fernet.generate_key() + b"\n").decode()
    return [line.strip() for line in text.splitlines() if line.strip()]


# Environment variables read under their own names (the usual names for these), and the setting each sets.
NAMED_ENVIRONMENT = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "CHAIN_KEY": "CHAIN_KEY",
    "BLIND_INDEX_KEY": "BLIND_INDEX_KEY",
    "FIELD_KEYS": "FIELD_KEYS",
}
ENV_PREFIX = "CRM"  # any other setting: CRM_<SETTING>, e.g. CRM_DEMO_CUSTOMERS=40 (values read as JSON)


def apply_environment(app_config: "Config") -> None:
    """The environment's settings, over the defaults and ``instance/config.py``."""
    for variable, setting in NAMED_ENVIRONMENT.items():
        if os.environ.get(variable):
            app_config[setting] = os.environ[variable]
    app_config.from_prefixed_env(ENV_PREFIX)


def defaults(instance_path: str) -> dict[str, Any]:
    """The built-in configuration for an app whose instance folder is ``instance_path``."""
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or instance_secret(instance_path, "secret_key"),
        "CHAIN_KEY": os.environ.get("CHAIN_KEY") or instance_secret(instance_path, "chain_key"),
        "BLIND_INDEX_KEY": os.environ.get("BLIND_INDEX_KEY") or instance_secret(instance_path, "blind_index_key"),
        # Fernet keys for personal data at rest, newest first (comma-separated in the environment).
        "FIELD_KEYS": os.environ.get("FIELD_KEYS") or field_keys_file(instance_path),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
        or f"sqlite:///{Path(instance_path) / 'crm_sandbox.sqlite'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SEED_DIR": str(SEED_DIR),
        # scrypt with N=2**17 meets OWASP ASVS 5.0's minimum (Werkzeug's default N=2**15 does not).
        "PASSWORD_HASH_METHOD": "scrypt:131072:8:1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": True,  # browsers accept Secure cookies from http://127.0.0.1 and localhost
        "REMEMBER_COOKIE_SECURE": True,
        "SESSION_IDLE_MINUTES": 30,
        "SESSION_ABSOLUTE_HOURS": 12,
        "LOGIN_THROTTLE_MINUTES": 15,
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 30,
        # How many reverse proxies in front of the app append to X-Forwarded-For (nginx: 1). 0, the default:
        # the header is ignored and the client address is the connection's, since any client can send the
        # header. Set it to the number of proxies you run, never more (see docs/security.md).
        "TRUSTED_PROXIES": 0,
        "WTF_CSRF_TIME_LIMIT": None,
        # The largest request body accepted (the biggest is a users CSV, itself limited to 4 MB): a bigger
        # one is refused with a 413 page before it is read, so a file of gigabytes is never spooled to disk.
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "DEMO_PASSWORD": "sandbox-demo",
        "DEMO_SEED": 2026,
        "DEMO_CUSTOMERS": 500,
        "SEARCH_MAX_RESULTS": 20,
        "SEARCH_MAX_LENGTH": 100,
        # PDF records: "unicode" (vendored DejaVu Sans with Noto fallbacks: every name prints) or
        # "helvetica" (built-in, Latin-1 only: other characters print as "?"); see reports/pdf.py.
        "PDF_FONT": "unicode",
        # The ledger (crm_sandbox/ledger): each signed checkpoint is also appended to this file (O_APPEND,
        # fsynced; a path on storage every app server shares works), and pending leaves older than
        # CHECKPOINT_INTERVAL seconds are checkpointed by the next write (``flask checkpoint`` for cron).
        "CHECKPOINT_FILE": str(Path(instance_path) / "checkpoints.log"),
        "CHECKPOINT_INTERVAL": 300,
        # Retention (crm_sandbox/admin/retention.py), applied as configured when the purge runs: archived packs
        # and closed cohorts' live evidence after ARCHIVE_RETENTION_DAYS (at least 1), ended sign-in sessions
        # after SESSION_RECORD_DAYS, failed-sign-in records THROTTLE_RECORD_DAYS after their window. The purge
        # runs at each worker's first request and then every RETENTION_PURGE_HOURS (0: only `flask purge`).
        "ARCHIVE_RETENTION_DAYS": 1095,
        "SESSION_RECORD_DAYS": 30,
        "THROTTLE_RECORD_DAYS": 1,
        "RETENTION_PURGE_HOURS": 24,
    }
