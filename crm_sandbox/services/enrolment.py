"""Accounts for a cohort: bulk import from CSV with one-time passwords, disabling, changing a password.

An import is all or nothing: every row is checked first (all problems reported at once), the
one-time passwords are hashed outside the write lock (the slow part, with the configured
PASSWORD_HASH_METHOD), and every account is then inserted in one write transaction.
"""
import csv
import io
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, User
from crm_sandbox.services.accounts import hash_password
from crm_sandbox.services.errors import Conflict, ServiceError

REQUIRED_COLUMNS = ("username", "display_name", "role")
IMPORT_ROLES = ("learner", "assessor")
MAX_ROWS = 20_000
MAX_PROBLEMS_SHOWN = 20
MIN_PASSWORD = 10
# One-time passwords: no look-alike characters (0/O, 1/l/I), read out or copied by hand.
OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class ImportProblems(ServiceError):
    """The file cannot be imported; ``problems`` lists every reason (``str()`` summarises them)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        super().__init__("Nothing was imported. " + " ".join(shown)
                         + (f" …and {more} more problem(s)." if more else ""))


@dataclass(frozen=True)
class NewAccount:
    username: str
    display_name: str
    role: str
    password: str  # the one-time password, shown once


def one_time_password() -> str:
    """Like ``k7fq-m2xp-9hdw``: 60 bits from ``secrets``, in three groups."""
    chars = "".join(secrets.choice(OTP_ALPHABET) for _ in range(12))
    return "-".join(chars[i:i + 4] for i in range(0, 12, 4))


def valid_username(username: str) -> bool:
    return 0 < len(username) <= 80 and username.replace("-", "").replace("_", "").replace(".", "").isalnum() \
        and username.isascii()


def parse_users_csv(data: bytes | str) -> list[dict]:
    """The rows of a users CSV (``username,display_name,role``), checked; raises ImportProblems.

    A UTF-8 byte-order mark (as Excel writes) is accepted; usernames are lower-cased.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportProblems(["The file is not UTF-8 text: save it as “CSV UTF-8” and try again."]) from None
    data = data.lstrip("\ufeff")
    if not data.strip():
        raise ImportProblems(["The file is empty: it needs a header row "
                              f"({','.join(REQUIRED_COLUMNS)}) and one row per account."])
    reader = csv.DictReader(io.StringIO(data, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportProblems([f"The header row has no {', '.join(missing)} column "
                              f"(it needs {', '.join(REQUIRED_COLUMNS)}; found: {', '.join(header) or 'nothing'})."])
    reader.fieldnames = header
    rows, problems, first_line = [], [], {}
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            raise ImportProblems([f"The file has more than {MAX_ROWS:,} rows: split it."])
        if not any((v or "").strip() for k, v in raw.items() if k is not None):
            continue  # a blank line
        username = (raw.get("username") or "").strip().lower()
        display_name = (raw.get("display_name") or "").strip()
        role = (raw.get("role") or "").strip().lower()
        if not valid_username(username):
            problems.append(f"Line {line}: the username {username!r} is not 1–80 letters, digits, dots, "
                            "dashes or underscores.")
        elif username in first_line:
            problems.append(f"Line {line}: the username {username!r} is already on line {first_line[username]}.")
        else:
            first_line[username] = line
        if role not in IMPORT_ROLES:
            problems.append(f"Line {line}: unknown role {role!r} (use learner or assessor).")
        if len(display_name) > 120:
            problems.append(f"Line {line}: the display name is longer than 120 characters.")
        rows.append({"username": username, "display_name": display_name or username, "role": role})
    if not rows and not problems:
        problems.append("The file has a header row but no accounts.")
    if problems:
        raise ImportProblems(problems)
    return rows


def taken_usernames(usernames: list[str]) -> set[str]:
    taken = set()
    for i in range(0, len(usernames), 500):  # stay under SQLite's bound-parameter limit
        chunk = usernames[i:i + 500]
        taken.update(db.session.execute(select(User.username).where(User.username.in_(chunk))).scalars())
    return taken


def check_not_taken(rows: list[dict]) -> None:
    taken = taken_usernames([r["username"] for r in rows])
    if taken:
        raise ImportProblems([f"The username {u!r} is already taken." for u in sorted(taken)])


def import_users(cohort_id: int, data: bytes | str,
                 progress: Callable[[int], None] | None = None) -> list[NewAccount]:
    """Create every account in the CSV ``data`` in cohort ``cohort_id``, all or nothing.

    Returns the new accounts with their one-time passwords (shown once, never stored in clear).
    ``progress(n)`` is called as passwords are hashed.
    """
    rows = parse_users_csv(data)
    if db.session.get(Cohort, cohort_id) is None:
        raise ServiceError("There is no such cohort.")
    check_not_taken(rows)  # early, before the slow hashing
    passwords = [one_time_password() for _ in rows]
    hashes = hash_all(passwords, progress)
    with write_transaction():
        cohort = db.session.get(Cohort, cohort_id)
        if cohort is None:
            raise ServiceError("There is no such cohort.")
        check_not_taken(rows)  # again under the write lock: someone may have taken one meanwhile
        db.session.execute(User.__table__.insert(), [
            {"username": r["username"], "display_name": r["display_name"], "role": r["role"],
             "password_hash": h, "cohort_id": cohort.id, "active": True, "must_change_password": True}
            for r, h in zip(rows, hashes)])
    return [NewAccount(r["username"], r["display_name"], r["role"], p) for r, p in zip(rows, passwords)]


def hash_all(passwords: list[str], progress: Callable[[int], None] | None = None) -> list[str]:
    """Hash with the configured method on a few threads (hashlib's scrypt and PBKDF2 release the GIL,
    so a 2-core machine hashes twice as fast); each worker has the app context hash_password reads."""
    app = current_app._get_current_object()

    def one(password: str) -> str:
        with app.app_context():
            return hash_password(password)

    workers = max(1, min(4, os.cpu_count() or 1))
    hashes = []
    with ThreadPoolExecutor(workers) as pool:
        for h in pool.map(one, passwords):
            hashes.append(h)
            if progress:
                progress(1)
    return hashes


def set_active(user_id: int, active: bool) -> User:
    """Disable (or re-enable) an account. A disabled user cannot sign in; their evidence stays."""
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None:
            raise ServiceError("There is no such account.")
        if user.role == "trainer":
            raise ServiceError("Trainer accounts are managed from the command line.")
        if user.erased_at is not None and active:
            raise Conflict("This account was erased: it cannot be enabled again.")
        user.active = active
    return user


def change_password(user_id: int, current: str, new: str, confirm: str) -> None:
    """Replace the password (the one-time one at first sign-in); raises ServiceError with the reason."""
    if new != confirm:
        raise ServiceError("The new passwords do not match.")
    if len(new) < MIN_PASSWORD:
        raise ServiceError(f"Choose a password of at least {MIN_PASSWORD} characters.")
    if len(new) > 200:
        raise ServiceError("That password is too long (200 characters at most).")
    new_hash = hash_password(new)  # outside the write lock: hashing is slow on purpose
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None or not check_password_hash(user.password_hash, current):
            raise ServiceError("Your current password is not right.")
        if check_password_hash(user.password_hash, new):
            raise ServiceError("Choose a new password, different from the current one.")
        user.password_hash, user.must_change_password = new_hash, False
