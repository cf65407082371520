"""User accounts: creation, password hashing and checks, one-time passwords.

Two kinds of stored hash. A password a person chose is hashed with the slow configured method
(``PASSWORD_HASH_METHOD``, scrypt N=2^17): it may be guessable, so each guess must be expensive. A
one-time password is a random secret of 138 bits that no one chose, so guessing it is hopeless at
any speed: it is stored as an HMAC-SHA256 under a key derived from ``SECRET_KEY`` (never stored in
the database), which takes microseconds, so importing hundreds of accounts takes well under a second.
See docs/security.md, "One-time passwords".
"""

import hmac
import math
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from crm_sandbox.errors import Conflict, NotFound, ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.models import ROLES, Cohort, User

# One-time passwords: no look-alike characters (0/O, 1/l/I), read out or copied by hand, in groups of 4.
OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
OTP_LENGTH = 28
OTP_GROUP = 4
OTP_BITS = OTP_LENGTH * math.log2(len(OTP_ALPHABET))  # ~138.7
OTP_SCHEME = "otp-hmac-sha256"
OTP_KEY_INFO = b"crm-sandbox/one-time-password/v1"

# Compared against when the stored hash is of the other kind (or the username is unknown), so every
# sign-in attempt costs one slow hash and one HMAC, whoever it is for.
_DUMMY_HASH = None
_DUMMY_OTP_HASH = f"{OTP_SCHEME}${'0' * 64}"


def hash_password(password: str) -> str:
    """A chosen password, hashed with the slow configured method."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def one_time_password() -> str:
    """Like ``k7fq-m2xp-9hdw-…``: 28 characters from ``secrets`` (138 bits), in groups of four."""
    chars = "".join(secrets.choice(OTP_ALPHABET) for _ in range(OTP_LENGTH))
    return "-".join(chars[i : i + OTP_GROUP] for i in range(0, OTP_LENGTH, OTP_GROUP))


def otp_key() -> bytes:
    """A key for one-time passwords only, derived (HKDF-SHA256) from the app's SECRET_KEY."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=OTP_KEY_INFO).derive(secret)


def _otp_canonical(password: str) -> bytes:
    """Typed as read out: case, spaces and dashes do not matter."""
    return "".join(password.lower().split()).replace("-", "").encode()


def one_time_hash(password: str, key: bytes | None = None) -> str:
    """The stored form of a one-time password: ``otp-hmac-sha256$<hex>`` (fast, keyed)."""
    return f"{OTP_SCHEME}${hmac.digest(key or otp_key(), _otp_canonical(password), 'sha256').hex()}"


def is_one_time_hash(stored: str) -> bool:
    return stored.startswith(OTP_SCHEME + "$")


def _check_one_time(stored: str, password: str) -> bool:
    return hmac.compare_digest(one_time_hash(password), stored)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash of either kind (in constant time for its kind)."""
    if is_one_time_hash(stored):
        return _check_one_time(stored, password)
    return check_password_hash(stored, password)


def create_user(
    username: str, password: str, role: str, *, display_name: str | None = None, cohort: Cohort | None = None
) -> User:
    """Add a user to the session (the caller commits)."""
    username = username.strip().lower()
    if role not in ROLES:
        raise ServiceError(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}.")
    if not username or len(username) > 80 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ServiceError("A username is 1–80 letters, digits, dots, dashes or underscores.")
    if len(password) < 8:
        raise ServiceError("A password needs at least 8 characters.")
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"The username {username!r} is already taken.")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password),
        cohort=cohort,
    )
    db.session.add(user)
    return user


def find_account(username: str) -> User:
    """The account called ``username``, or NotFound."""
    user = db.session.execute(select(User).where(User.username == username.strip().lower())).scalar_one_or_none()
    if user is None:
        raise NotFound(f"There is no account called {username.strip()!r}.")
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (the same way, and in the same time, for every failure).

    Every attempt runs one slow check and one one-time check, against the stored hash where it is of
    that kind and a dummy otherwise, so the time taken does not tell an unknown username from a known
    one, nor an account waiting for its first sign-in from one that is not.
    """
    global _DUMMY_HASH
    _DUMMY_HASH = _DUMMY_HASH or hash_password("not-a-real-password")
    user = db.session.execute(select(User).where(User.username == username.strip().lower())).scalar_one_or_none()
    stored = user.password_hash if user is not None else ""
    one_time = is_one_time_hash(stored)
    slow_kind = not one_time and stored.count("$") == 2  # not an erased account's "!erased"
    slow_ok = check_password_hash(stored if slow_kind else _DUMMY_HASH, password)
    otp_ok = _check_one_time(stored if one_time else _DUMMY_OTP_HASH, password)
    if user is None or not user.is_active or not (otp_ok if one_time else slow_ok and slow_kind):
        return None
    return user
