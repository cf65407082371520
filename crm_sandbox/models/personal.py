"""The one place where personal data meets the database: encryption at rest and blind indexes.

Personal data is stored encrypted with Fernet through MultiFernet (AES-128-CBC with HMAC-SHA256:
"acceptable" in OWASP ASVS 5.0 11.3; chosen for its authenticated token format and MultiFernet's
key rotation). The keys live in the instance folder (``field_keys``, mode 0600, newest first) or in
the ``FIELD_KEYS`` setting. Searchable fields also get an HMAC-SHA256 blind index, so exact-match
search works without the value ever being stored in clear.
"""
import hashlib
import hmac
import json
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app, has_app_context
from sqlalchemy import Text, TypeDecorator
from sqlalchemy.ext.mutable import MutableDict


class UndecryptableError(RuntimeError):
    """The data cannot be decrypted with the configured keys."""


def field_keys() -> list[str]:
    """The Fernet keys, newest (used to encrypt) first."""
    keys = current_app.config["FIELD_KEYS"]
    return [k.strip() for k in (keys.split(",") if isinstance(keys, str) else keys) if k.strip()]


def cipher() -> MultiFernet:
    """The app's MultiFernet, built once per set of keys."""
    if not has_app_context():
        raise RuntimeError("personal data can only be read or written inside an application context")
    keys = tuple(field_keys())
    cached = current_app.extensions.get("crm_cipher")
    if cached is None or cached[0] != keys:
        cached = (keys, MultiFernet([Fernet(k) for k in keys]))
        current_app.extensions["crm_cipher"] = cached
    return cached[1]


def encrypt(text: str) -> str:
    return cipher().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableError("Personal data could not be decrypted: is a field key missing from FIELD_KEYS?") from None


class EncryptedText(TypeDecorator):
    """A text column encrypted at rest."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


class EncryptedJSON(TypeDecorator):
    """A JSON object encrypted at rest, as one token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(json.dumps(value, separators=(",", ":"), ensure_ascii=False))

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(decrypt(value))


EncryptedDict = MutableDict.as_mutable(EncryptedJSON)


def personal_field(name: str) -> property:
    """An attribute read from and written to the model's encrypted ``personal`` mapping."""

    def get(self):
        return (self.personal or {}).get(name, "")

    def set(self, value):
        if self.personal is None:
            self.personal = {}
        self.personal[name] = value

    return property(get, set, doc=f"The {name.replace('_', ' ')} (encrypted at rest).")


def index_key() -> bytes:
    """The key of the blind index, from the app's configuration."""
    if not has_app_context():
        raise RuntimeError("blind_index needs an application context for its key")
    return current_app.config["BLIND_INDEX_KEY"].encode()


def normalise_for_index(value: str) -> str:
    """Lower-case and drop everything but letters and digits, so ' LS1 4AP' and 'ls14ap' index alike."""
    return re.sub(r"[^0-9a-z]", "", value.lower())


def blind_index(value: str, key: bytes | None = None) -> str:
    """An HMAC-SHA256 of the normalised value: exact-match search without storing the value."""
    key = key if key is not None else index_key()
    return hmac.new(key, normalise_for_index(value).encode(), hashlib.sha256).hexdigest()[:32]
