"""Rotating the field-encryption keys: a new key first, then every encrypted value re-encrypted with it."""

import os
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet
from flask import current_app
from sqlalchemy import text

from crm_sandbox.database import write_transaction
from crm_sandbox.errors import ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.files import write_durably
from crm_sandbox.models.personal import cipher, field_keys

# Every column that holds Fernet tokens: (table, column).
ENCRYPTED_COLUMNS = (
    ("customer", "personal"),
    ("event", "data"),
    ("finding", "evidence"),
    ("credential_batch", "payload"),
    ("ledger_salt", "salt"),
)


def write_keys(path: Path, keys: list[str]) -> None:
    """Replace the key file atomically, readable by the owner only."""
    write_durably(path, ("\n".join(keys) + "\n").encode(), mode=0o600)


def rotate_field_keys(progress: Callable[[str, int], None] | None = None) -> Path:
    """Put a new key first in ``instance/field_keys`` and re-encrypt every row with it.

    The old keys stay in the file, so if the re-encryption stops part-way nothing is unreadable;
    once it has finished, the old keys can be deleted from the file.
    """
    if os.environ.get("FIELD_KEYS"):
        raise ServiceError(
            "FIELD_KEYS is set in the environment: put a new key first in it yourself, "
            "then run rotate-keys again with the file-based keys, or re-deploy."
        )
    path = Path(current_app.instance_path) / "field_keys"
    keys = [Fernet.generate_key().decode()] + field_keys()
    write_keys(path, keys)
    current_app.config["FIELD_KEYS"] = keys
    rotator = cipher()
    with write_transaction():
        conn = db.session.connection()
        for table, column in ENCRYPTED_COLUMNS:
            rows = conn.execute(text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()  # noqa: S608
            conn.execute(
                text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),  # noqa: S608
                [{"id": rid, "value": rotator.rotate(value.encode()).decode()} for rid, value in rows]
                or [{"id": -1, "value": None}],
            )
            if progress:
                progress(f"{table}.{column}", len(rows))
    return path
