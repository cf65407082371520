"""Sign-in sessions held on the server, and throttling of failed sign-ins (OWASP ASVS 5.0 V6, V7).

The session cookie carries a random token; the database holds only its SHA-256. Sign-out, disabling
an account, reissuing its one-time password, changing its password (every other browser) and removing
it (a cohort reset) end its sessions on the server, so a cookie captured before sign-out is refused
when replayed. Idle and absolute timeouts come from the configuration.

Each sign-in attempt (and each current-password check on the change-password form) is counted in one
atomic upsert before the password is checked: see :func:`count_attempt`.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Table, case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import User, utcnow
from crm_sandbox.models.session import LoginThrottle, UserSession

LAST_SEEN_GRANULARITY = timedelta(seconds=60)  # write last_seen at most once a minute per session


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """A new server-side session for ``user``; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    with write_transaction():
        db.session.add(UserSession(token_hash=_hash(token), user_id=user.id))
    return token


def end_session(token: str | None) -> None:
    if not token:
        return
    with write_transaction():
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _hash(token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def end_user_sessions(user_id: int, keep_token: str | None = None) -> int:
    """End every live session of one account (its password changed or reissued, or the account disabled),
    inside the caller's write transaction, so the change and the sign-out commit together; with
    ``keep_token``, all but that one (the browser that changed its own password). Returns how many."""
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep_token:
        stmt = stmt.where(UserSession.token_hash != _hash(keep_token))
    result = db.session.execute(stmt.values(ended_at=utcnow()))
    return cast(CursorResult[Any], result).rowcount  # an UPDATE's result is a CursorResult


def user_for_token(token: str) -> User | None:
    """The active user of a live session, or None (ended, idle too long, too old, or unknown)."""
    # One query, one entity: the user with the session's columns (this runs on every signed-in request).
    row = db.session.execute(
        select(User, UserSession.id, UserSession.created_at, UserSession.last_seen, UserSession.ended_at)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _hash(token))
    ).one_or_none()
    if row is None:
        return None
    user, session_id, created_at, last_seen, ended_at = row
    if ended_at is not None or not user.is_active:  # disabled, or past its expiry (EQA)
        return None
    now = utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    if now - last_seen > idle or now - created_at > absolute:
        return None
    if now - last_seen > LAST_SEEN_GRANULARITY:
        with write_transaction():
            db.session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen=now))
    return user


def _account_key(username: str) -> str:
    return f"user:{username.strip().lower()[:80]}"


def _address_key(address: str) -> str:
    return f"ip:{address[:150]}"


def _throttle_keys(username: str, address: str | None) -> list[tuple[str, int]]:
    """The counters an attempt for ``username`` from ``address`` counts against, in one fixed order (sorted
    by key), so two transactions taking the same rows' locks take them in the same order and never deadlock."""
    config = current_app.config
    keys = [(_account_key(username), config["LOGIN_MAX_FAILURES_PER_ACCOUNT"])]
    if address:
        keys.append((_address_key(address), config["LOGIN_MAX_FAILURES_PER_ADDRESS"]))
    return sorted(keys)


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_THROTTLE_MINUTES"])


def _count(key: str, now: datetime) -> int:
    """Add one to ``key``'s counter in one statement and return the new count: an upsert (INSERT … ON
    CONFLICT DO UPDATE … RETURNING) on SQLite and PostgreSQL alike, so parallel attempts each get a
    different count and the first attempt for a key never fails on the primary key. A window that has
    run out starts again at one."""
    table = cast(Table, LoginThrottle.__table__)
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(key=key, failures=1, window_start=now)
    expired = table.c.window_start <= now - _window()
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((expired, 1), else_=table.c.failures + 1),
            "window_start": case((expired, now), else_=table.c.window_start),
        },
    )
    return int(db.session.execute(upsert.returning(table.c.failures)).scalar_one())


def count_attempt(username: str, address: str | None) -> bool:
    """Count a sign-in attempt BEFORE its password is checked (committed at once, so a parallel attempt
    sees it); True when it is within every limit and the password may be checked, False when sign-in
    is paused for this username or this address (the same for unknown usernames).

    Counting first is what makes the limit hold: N guesses sent at once get N different counts, so at
    most the limit of them are ever checked. A successful attempt is then given back
    (:func:`attempt_succeeded`), so only failures pause an account or an address.
    """
    now = utcnow()
    with write_transaction():
        counts = [(_count(key, now), limit) for key, limit in _throttle_keys(username, address)]
    return all(count <= limit for count, limit in counts)


def attempt_succeeded(username: str, address: str | None) -> None:
    """The attempt counted by :func:`count_attempt` was right: the account starts again from nothing and the
    address gets its attempt back (so a centre's proxy is not paused by its users' successful sign-ins)."""
    with write_transaction():
        db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == _account_key(username)))
        if address:
            db.session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == _address_key(address), LoginThrottle.failures > 0)
                .values(failures=LoginThrottle.failures - 1)
            )
