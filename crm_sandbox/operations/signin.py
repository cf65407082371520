"""Sign-in sessions held on the server, and throttling of failed sign-ins (OWASP ASVS 5.0 V6, V7).

The session cookie carries a random token; the database holds only its SHA-256. Sign-out, disabling
an account, reissuing its one-time password and removing it (a cohort reset) end its sessions on the
server, so a cookie captured before sign-out is refused when replayed. Idle and absolute timeouts
come from the configuration.
"""

import hashlib
import secrets
from datetime import timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, select, update

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


def end_user_sessions(user_id: int) -> int:
    """End every live session of one account (its password reissued, or the account disabled), inside
    the caller's write transaction, so the change and the sign-out commit together. Returns how many."""
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
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
    if ended_at is not None or not user.active:
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


def _throttle_keys(username: str, address: str | None) -> list[tuple[str, int]]:
    config = current_app.config
    keys = [(_account_key(username), config["LOGIN_MAX_FAILURES_PER_ACCOUNT"])]
    if address:
        keys.append((f"ip:{address}", config["LOGIN_MAX_FAILURES_PER_ADDRESS"]))
    return keys


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_THROTTLE_MINUTES"])


def throttled(username: str, address: str | None) -> bool:
    """Whether sign-in is paused for this username or address (the same for unknown usernames)."""
    now = utcnow()
    for key, limit in _throttle_keys(username, address):
        row = db.session.get(LoginThrottle, key)
        if row and now - row.window_start < _window() and row.failures >= limit:
            return True
    return False


def record_failure(username: str, address: str | None) -> None:
    now = utcnow()
    with write_transaction():
        for key, _ in _throttle_keys(username, address):
            row = db.session.get(LoginThrottle, key)
            if row is None:
                db.session.add(LoginThrottle(key=key, failures=1, window_start=now))
            elif now - row.window_start >= _window():
                row.failures, row.window_start = 1, now
            else:
                row.failures += 1


def clear_failures(username: str) -> None:
    with write_transaction():
        row = db.session.get(LoginThrottle, _account_key(username))
        if row:
            db.session.delete(row)
