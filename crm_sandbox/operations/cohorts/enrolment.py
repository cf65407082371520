"""Accounts for a cohort: bulk import from CSV with one-time passwords, reissuing one, disabling,
changing a password.

An import is all or nothing: every row is checked first (all problems reported at once), then every
account is inserted in one write transaction. One-time passwords are random 138-bit secrets stored
with a fast keyed hash (operations/cohorts/accounts.py), so 300 accounts take well under a second; the
password a user then chooses is hashed with the slow configured method. When a trainer imports or
reissues in the console, the new one-time passwords are also kept, encrypted, for one CSV download
(operations/cohorts/credentials.py), saved in the same transaction as the accounts.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from flask import current_app
from sqlalchemy import Table, select

from crm_sandbox import ledger
from crm_sandbox.database import write_transaction
from crm_sandbox.errors import Conflict, NotFound, ServiceError, TooManyAttempts
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, User
from crm_sandbox.operations import signin as sessions
from crm_sandbox.operations.cohorts import credentials
from crm_sandbox.operations.cohorts.accounts import (
    hash_password,
    one_time_hash,
    one_time_password,
    otp_key,
    verify_password,
)
from crm_sandbox.operations.cohorts.cohorts import known_qualification

REQUIRED_COLUMNS = ("username", "display_name", "role")
OPTIONAL_COLUMNS = ("qualification",)  # a learner's own qualification (id or title); empty: the cohort's
IMPORT_ROLES = ("learner", "assessor")
# Accounts per file: a cohort is tens of learners; past this its pages (and the one-time password page) stop
# being usable, so a bigger file is refused with a message instead of making an unmanageable cohort.
MAX_ROWS = 1_000
MAX_FILE_BYTES = 4 * 1024 * 1024  # a 10,000-row CSV is ~400 KB: the console and the CLI read no more than this
MAX_PROBLEMS_SHOWN = 20
MIN_PASSWORD = 10
MAX_TAKEN_SHOWN = 20
REISSUE_HOW = (
    "give them a new one-time password with “Reissue one-time password” in the cohort's account list "
    "(or flask --app crm_sandbox reissue-password USERNAME)"
)


class ImportProblems(ServiceError):
    """The file cannot be imported; ``problems`` lists every reason (``str()`` summarises them)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        super().__init__(
            "Nothing was imported. " + " ".join(shown) + (f" …and {more} more problem(s)." if more else "")
        )


@dataclass(frozen=True)
class NewAccount:
    username: str
    display_name: str
    role: str
    password: str  # the one-time password, shown once


@dataclass(frozen=True)
class Issued:
    """New one-time passwords, and the id of their one-time download if they were kept for one."""

    accounts: list[NewAccount]
    batch_id: int | None = None


def valid_username(username: str) -> bool:
    return (
        0 < len(username) <= 80
        and username.replace("-", "").replace("_", "").replace(".", "").isalnum()
        and username.isascii()
    )


def parse_users_csv(data: bytes | str) -> list[dict]:
    """The rows of a users CSV (``username,display_name,role``), checked; raises ImportProblems.

    A UTF-8 byte-order mark (as Excel writes) is accepted; usernames are lower-cased.
    """
    if isinstance(data, bytes):
        raw = data
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = raw[: err.start].count(b"\n") + 1
            raise ImportProblems(
                [
                    f"The file is not UTF-8 text (line {line} is in another encoding): "
                    "save it as “CSV UTF-8” and try again."
                ]
            ) from None
    data = data.lstrip("\ufeff")
    if not data.strip():
        raise ImportProblems(
            [f"The file is empty: it needs a header row ({','.join(REQUIRED_COLUMNS)}) and one row per account."]
        )
    reader = csv.DictReader(io.StringIO(data, newline=""))
    try:
        return _checked_rows(reader)
    except csv.Error as err:  # a field over csv.field_size_limit() (128 KB), say
        reason = "a field is longer than 128 KB" if "field limit" in str(err) else str(err)
        raise ImportProblems(
            [
                f"Line {reader.line_num + 1} cannot be read as CSV ({reason}): "  # the line being read
                "is this the right file?"
            ]
        ) from None


def _checked_rows(reader: csv.DictReader) -> list[dict]:
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportProblems(
            [
                f"The header row has no {', '.join(missing)} column "
                f"(it needs {', '.join(REQUIRED_COLUMNS)}; found: {', '.join(header)[:200] or 'nothing'})."
            ]
        )
    reader.fieldnames = header
    rows: list[dict[str, str]] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}  # username -> the line it is first on
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            raise ImportProblems(
                [
                    f"The file has more than {MAX_ROWS:,} accounts: a cohort is usually tens of learners. "
                    "Check it is the right file, or split it and import the parts into separate cohorts."
                ]
            )
        if not any((v or "").strip() for k, v in raw.items() if k is not None):
            continue  # a blank line
        row = {
            "username": (raw.get("username") or "").strip().lower(),
            "display_name": (raw.get("display_name") or "").strip(),
            "role": (raw.get("role") or "").strip().lower(),
            "qualification": (raw.get("qualification") or "").strip(),
        }
        problems += _row_problems(line, row, first_line)
        rows.append({**row, "display_name": row["display_name"] or row["username"]})
    if not rows and not problems:
        problems.append("The file has a header row but no accounts.")
    if problems:
        raise ImportProblems(problems)
    return rows


def _shown(value: str, limit: int = 60) -> str:
    """A value from the file as a problem quotes it: cut short, so a 100 KB field makes a short message."""
    return repr(value[:limit]) + ("…" if len(value) > limit else "")


def _row_problems(line: int, row: dict[str, str], first_line: dict[str, int]) -> list[str]:
    """What is wrong with one row, in words; records the row's username in ``first_line``."""
    username, problems = row["username"], []
    if not valid_username(username):
        problems.append(
            f"Line {line}: the username {_shown(username)} is not 1–80 letters, digits, dots, dashes or underscores."
        )
    elif username in first_line:
        problems.append(f"Line {line}: the username {username!r} is already on line {first_line[username]}.")
    else:
        first_line[username] = line
    if row["role"] not in IMPORT_ROLES:
        problems.append(f"Line {line}: unknown role {_shown(row['role'])} (use learner or assessor).")
    if len(row["display_name"]) > 120:
        problems.append(f"Line {line}: the display name is longer than 120 characters.")
    if row["qualification"]:
        try:
            row["qualification"] = known_qualification(row["qualification"])
        except ServiceError:
            problems.append(
                f"Line {line}: unknown qualification {row['qualification'][:60]!r} (use an id from the cohort "
                f"page's qualification list, or leave it empty for the cohort's)."
            )
        else:
            if row["role"] != "learner":
                problems.append(f"Line {line}: only a learner is registered on a qualification.")
    return problems


def taken_usernames(usernames: list[str]) -> set[str]:
    taken: set[str] = set()
    for i in range(0, len(usernames), 500):  # stay under SQLite's bound-parameter limit
        chunk = usernames[i : i + 500]
        taken.update(db.session.execute(select(User.username).where(User.username.in_(chunk))).scalars())
    return taken


def check_not_taken(rows: list[dict]) -> None:
    taken = sorted(taken_usernames([r["username"] for r in rows]))
    if taken:
        shown = ", ".join(repr(u) for u in taken[:MAX_TAKEN_SHOWN])
        more = f" and {len(taken) - MAX_TAKEN_SHOWN} more" if len(taken) > MAX_TAKEN_SHOWN else ""
        raise ImportProblems(
            [
                f"{len(taken)} username(s) in the file already have an account: {shown}{more}. "
                f"Remove them from the file to import the others; to let those users sign in again, "
                f"{REISSUE_HOW}."
            ]
        )


def import_users(
    cohort_id: int, data: bytes | str, progress: Callable[[int], None] | None = None, *, kept_for: int | None = None
) -> Issued:
    """Create every account in the CSV ``data`` in cohort ``cohort_id``, all or nothing.

    Returns the new accounts with their one-time passwords (never stored in clear). With ``kept_for``
    (a trainer's user id) they are also kept, encrypted, for that trainer's one CSV download.
    ``progress(n)`` is called as passwords are hashed.
    """
    rows = parse_users_csv(data)
    if db.session.get(Cohort, cohort_id) is None:
        raise ServiceError("There is no such cohort.")
    check_not_taken(rows)  # early, before any work
    passwords = [one_time_password() for _ in rows]
    hashes = hash_one_time_passwords(passwords, progress)
    accounts = [NewAccount(r["username"], r["display_name"], r["role"], p) for r, p in zip(rows, passwords)]
    with write_transaction():
        cohort = db.session.get(Cohort, cohort_id)
        if cohort is None:
            raise ServiceError("There is no such cohort.")
        check_not_taken(rows)  # again under the write lock: someone may have taken one meanwhile
        db.session.execute(
            cast(Table, User.__table__).insert(),
            [
                {
                    "username": r["username"],
                    "display_name": r["display_name"],
                    "role": r["role"],
                    "password_hash": h,
                    "cohort_id": cohort.id,
                    "active": True,
                    "must_change_password": True,
                    "qualification": r.get("qualification") or None,
                }
                for r, h in zip(rows, hashes)
            ],
        )
        ledger.record_rows(User, User.username.in_([r["username"] for r in rows]))  # a Core insert: no flush hook
        batch_id = credentials.keep(accounts, kept_for, cohort.id) if kept_for is not None else None
    return Issued(accounts, batch_id)


def hash_one_time_passwords(passwords: list[str], progress: Callable[[int], None] | None = None) -> list[str]:
    """The stored (fast, keyed) hashes of new one-time passwords; bench/bench_import.py swaps in the old
    slow method here to compare."""
    key = otp_key()  # derived once for the whole file
    hashes = []
    for password in passwords:
        hashes.append(one_time_hash(password, key))
        if progress:
            progress(1)
    return hashes


def reissue_password(user_id: int, *, kept_for: int | None = None, trainers_too: bool = False) -> Issued:
    """Give an account a new one-time password: the old password stops working, every session of the
    account ends, and it must choose a new password at its next sign-in.

    Trainer accounts are refused unless ``trainers_too`` (the command line, where trainers are managed);
    erased accounts always. With ``kept_for`` the password is kept for that trainer's one download.
    """
    password = one_time_password()
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("There is no such account.")
        if user.erased_at is not None:
            raise Conflict(f"{user.username}'s personal data was erased: the account cannot sign in again.")
        if user.role == "trainer" and not trainers_too:
            raise ServiceError(
                "Trainer accounts are managed from the command line: "
                f"flask --app crm_sandbox reissue-password {user.username}"
            )
        user.password_hash, user.must_change_password = one_time_hash(password), True
        sessions.end_user_sessions(user.id)
        account = NewAccount(user.username, user.display_name, user.role, password)
        batch_id = credentials.keep([account], kept_for, user.cohort_id) if kept_for is not None else None
    return Issued([account], batch_id)


def set_active(user_id: int, active: bool) -> User:
    """Disable (or re-enable) an account. A disabled user cannot sign in; their evidence stays.

    Disabling ends the account's sessions, so enabling it again does not bring an old cookie back."""
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None:
            raise ServiceError("There is no such account.")
        if user.role == "trainer":
            raise ServiceError("Trainer accounts are managed from the command line.")
        if user.erased_at is not None and active:
            raise Conflict("This account was erased: it cannot be enabled again.")
        user.active = active
        if not active:
            sessions.end_user_sessions(user.id)
    return user


def change_password(
    user_id: int,
    current: str,
    new: str,
    confirm: str,
    *,
    address: str | None = None,
    keep_token: str | None = None,
) -> None:
    """Replace the password (the one-time one at first sign-in); raises ServiceError with the reason.

    The current-password check is a password guess like a sign-in: it is counted against the account's
    (and ``address``'s) sign-in limit before it is made, atomically, and refused with TooManyAttempts past
    it. The slow hashing runs outside the write lock; the change then commits only if the stored hash is
    still the one checked, and ends every other session of the account (all but ``keep_token``'s:
    OWASP ASVS 5.0 7.4.3).
    """
    if new != confirm:
        raise ServiceError("The new passwords do not match.")
    if len(new) < MIN_PASSWORD:
        raise ServiceError(f"Choose a password of at least {MIN_PASSWORD} characters.")
    if len(new) > 200:
        raise ServiceError("That password is too long (200 characters at most).")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such account.")
    username, checked_hash = user.username, user.password_hash
    if not sessions.count_attempt(username, address):
        raise TooManyAttempts(
            "Too many wrong current passwords. Wait "
            f"{current_app.config['LOGIN_THROTTLE_MINUTES']} minutes, then try again."
        )
    if not verify_password(checked_hash, current):
        raise ServiceError("Your current password is not right.")
    if verify_password(checked_hash, new):
        sessions.attempt_succeeded(username, address)
        raise ServiceError("Choose a new password, different from the current one.")
    new_hash = hash_password(new)  # outside the write lock: hashing is slow on purpose
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None or user.password_hash != checked_hash:
            raise Conflict("The password was changed meanwhile (in another browser?): sign in again.")
        user.password_hash, user.must_change_password = new_hash, False
        sessions.end_user_sessions(user_id, keep_token=keep_token)
    sessions.attempt_succeeded(username, address)


def set_qualification(user_id: int, qualification: str) -> User:
    """Register a learner on their own qualification (an id or title), or, with "" or "cohort", on their
    cohort's again. Reviews show its criteria from now on; judgements already made are kept."""
    wanted = (qualification or "").strip()
    qid = None if wanted in ("", "cohort") else known_qualification(wanted)
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("There is no such account.")
        if user.role != "learner":
            raise ServiceError("Only a learner is registered on a qualification.")
        if user.erased_at is not None:
            raise Conflict(f"{user.username}'s personal data was erased: the account cannot be changed.")
        user.qualification = qid
    return user
