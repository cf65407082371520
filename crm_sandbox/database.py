"""Engine set-up, the append-only guard on events, and the write transaction every state change runs in."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Mapping

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from crm_sandbox.extensions import db
from crm_sandbox.models import Event, Level3Event

WRITE_LOCK = "crm_write_lock"
DEFAULT_BUSY_TIMEOUT_MS = 10000


class EventImmutableError(RuntimeError):
    """Raised when code tries to change or delete a recorded event."""


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL, foreign keys, secure_delete, files of mode 0600, and transactions we begin ourselves (so
    writes can BEGIN IMMEDIATE).

    Two settings of the app are read each time a connection is made (for the fault tests, and for
    operators): ``SQLITE_BUSY_TIMEOUT_MS`` (default 10 000: how long a write waits for the lock
    before it fails with "database is locked") and ``SQLITE_MAX_PAGE_COUNT`` (default none: a cap on
    the database's size in pages; past it a write fails as if the disk were full).
    """
    if engine.dialect.name != "sqlite":
        return
    # The app's config itself (not a copy): read at each connection, so a test's change applies.
    settings: Mapping[str, Any] = current_app.config if has_app_context() else {}

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: object) -> None:
        busy_ms = int(settings.get("SQLITE_BUSY_TIMEOUT_MS") or DEFAULT_BUSY_TIMEOUT_MS)
        max_pages = settings.get("SQLITE_MAX_PAGE_COUNT")
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_ms:d}")  # an int: PRAGMAs take no bound parameters
        cur.execute("PRAGMA synchronous=NORMAL")
        # Freed content is overwritten with zeros: an erased name or password hash is not left in free pages.
        cur.execute("PRAGMA secure_delete=ON")
        if max_pages:
            cur.execute(f"PRAGMA max_page_count={int(max_pages):d}")
        restrict_files(cur)
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_LOCK)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


DATABASE_FILE_MODE = 0o600


def restrict_files(cur: Any) -> None:
    """Make the SQLite database file (and its -wal and -shm, which SQLite creates with the database's mode)
    readable and writable by the service account alone. Files of another owner are left as they are."""
    for _, name, path in cur.execute("PRAGMA database_list").fetchall():
        if name != "main" or not path:
            continue  # an in-memory database
        for file in (path, f"{path}-wal", f"{path}-shm"):
            try:
                if os.stat(file).st_mode & 0o777 != DATABASE_FILE_MODE and os.stat(file).st_uid == os.geteuid():
                    os.chmod(file, DATABASE_FILE_MODE)
            except OSError:
                pass  # not there (yet), or not ours


def _events_are_append_only(session: Session, _flush_context: object, _instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, (Event, Level3Event)) and (obj in session.deleted or session.is_modified(obj)):
            raise EventImmutableError("Events are append-only: they cannot be changed or deleted.")


def guard_events() -> None:
    """Refuse, at flush, any change to or deletion of a recorded event in this app's sessions.

    Bound to ``db.session`` (its sessionmaker), not to SQLAlchemy's ``Session`` class: a session
    made elsewhere in the process (a script's, a library's) is left alone. Safe to call again.
    """
    if not event.contains(db.session, "before_flush", _events_are_append_only):
        event.listen(db.session, "before_flush", _events_are_append_only)


@contextmanager
def write_transaction() -> Iterator[Session]:
    """One transaction that holds the write lock from its first statement, committed on success.

    On SQLite this is ``BEGIN IMMEDIATE``; on PostgreSQL the operations lock the rows they read
    (``SELECT … FOR UPDATE``). Any read-only transaction already open in the request ends first,
    so the write sees the newest data.
    """
    session = db.session()  # the request's Session behind the scoped proxy
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_LOCK: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
