"""The one place where customer personal data meets the database.

Every personal-data column is declared with :class:`PersonalData`, and every searchable one has a
blind index computed by :func:`blind_index`. Encrypting the data at rest changes this module only.
"""
import hashlib
import hmac
import re

from flask import current_app, has_app_context
from sqlalchemy import Text, TypeDecorator


class PersonalData(TypeDecorator):
    """A text column holding personal data. Stored as given for now; encrypted at rest later."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value

    def process_result_value(self, value, dialect):
        return value


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
