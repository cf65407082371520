"""The one place where personal data meets the database: encryption at rest and blind indexes.

Personal data is stored encrypted with Fernet through MultiFernet (AES-128-CBC with HMAC-SHA256:
"acceptable" in OWASP ASVS 5.0 11.3; chosen for its authenticated token format and MultiFernet's
key rotation). The keys live in the instance folder (``field_keys``, mode 0600, newest first) or in
the ``FIELD_KEYS`` setting. Searchable fields also get an HMAC-SHA256 blind index, so exact-match
search works without the value ever being stored in clear.
"""

import hmac
import json
import re
from functools import lru_cache
from typing import Any, Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app, has_app_context
from sqlalchemy import Dialect, Text, TypeDecorator
from sqlalchemy.ext.mutable import MutableDict


class UndecryptableError(RuntimeError):
    """The data cannot be decrypted with the configured keys."""


def field_keys() -> list[str]:
    """The Fernet keys, newest (used to encrypt) first."""
    keys = current_app.config["FIELD_KEYS"]
    return [k.strip() for k in (keys.split(",") if isinstance(keys, str) else keys) if k.strip()]


# Decrypted values kept per set of keys, so a row read again (every request re-reads a contact's events)
# is not decrypted again. Bounded, in the worker's memory only (where the loaded rows are anyway), and
# dropped whenever the keys change: a token the current keys cannot open is never served from it.
DECRYPTED_CACHE_SIZE = 4096


# (the keys, their MultiFernet, its caching decrypt)
_Cipher = tuple[tuple[str, ...], MultiFernet, Callable[[str], str]]


def _cached_cipher() -> _Cipher:
    if not has_app_context():
        raise RuntimeError("personal data can only be read or written inside an application context")
    keys = tuple(field_keys())
    cached = current_app.extensions.get("crm_cipher")
    if cached is None or cached[0] != keys:
        fernet = MultiFernet([Fernet(k) for k in keys])
        opened = lru_cache(maxsize=DECRYPTED_CACHE_SIZE)(lambda token: fernet.decrypt(token.encode()).decode())
        cached = (keys, fernet, opened)
        current_app.extensions["crm_cipher"] = cached
    return cached


def cipher() -> MultiFernet:
    """The app's MultiFernet, built once per set of keys."""
    return _cached_cipher()[1]


def encrypt(text: str, fernet: MultiFernet | None = None) -> str:
    """The token an ``EncryptedText`` column stores for ``text`` (bulk inserts pass ``cipher()`` once)."""
    return (fernet or cipher()).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _cached_cipher()[2](token)  # a failure (InvalidToken) is not cached
    except InvalidToken:
        raise UndecryptableError(
            "Personal data could not be decrypted: is a field key missing from FIELD_KEYS?"
        ) from None


class EncryptedText(TypeDecorator[str]):
    """A text column encrypted at rest."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON object encrypted at rest, as one token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt_json(value)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> Any | None:
        return None if value is None else json.loads(decrypt(value))


# Built once: ``json.dumps`` with options builds a new encoder on every call.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encrypt_json(value: Any, fernet: MultiFernet | None = None) -> str:
    """The token an ``EncryptedJSON`` column stores for ``value``. Bulk inserts pass ``cipher()``
    once, instead of looking it up for every row."""
    return (fernet or cipher()).encrypt(_COMPACT_JSON.encode(value).encode()).decode()


EncryptedDict = MutableDict.as_mutable(EncryptedJSON)


def personal_field(name: str) -> property:
    """An attribute read from and written to the model's encrypted ``personal`` mapping."""

    def get(self: Any) -> str:
        return (self.personal or {}).get(name, "")

    def set(self: Any, value: str) -> None:
        if self.personal is None:
            self.personal = {}
        self.personal[name] = value

    return property(get, set, doc=f"The {name.replace('_', ' ')} (encrypted at rest).")


def index_key() -> bytes:
    """The key of the blind index, from the app's configuration."""
    if not has_app_context():
        raise RuntimeError("blind_index needs an application context for its key")
    return current_app.config["BLIND_INDEX_KEY"].encode()


_NOT_KEPT = re.compile(r"[^0-9a-z]+")


def normalise_for_index(value: str) -> str:
    """Lower-case and drop everything but letters and digits, so ' LS1 4AP' and 'ls14ap' index alike."""
    return _NOT_KEPT.sub("", value.lower())


def blind_index(value: str, key: bytes | None = None) -> str:
    """An HMAC-SHA256 of the normalised value: exact-match search without storing the value."""
    return hmac.digest(key if key is not None else index_key(), normalise_for_index(value).encode(), "sha256").hex()[
        :32
    ]
