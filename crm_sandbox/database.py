"""Engine set-up and the write transaction every state change runs in."""
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crm_sandbox.extensions import db
from crm_sandbox.models import Event

WRITE_LOCK = "crm_write_lock"


class EventImmutableError(RuntimeError):
    """Raised when code tries to change or delete a recorded event."""


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL, foreign keys, and transactions we begin ourselves (so writes can BEGIN IMMEDIATE)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(WRITE_LOCK)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@event.listens_for(Session, "before_flush")
def _events_are_append_only(session, _flush_context, _instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Event) and (obj in session.deleted or session.is_modified(obj)):
            raise EventImmutableError("Events are append-only: they cannot be changed or deleted.")


@contextmanager
def write_transaction():
    """One transaction that holds the write lock from its first statement, committed on success.

    On SQLite this is ``BEGIN IMMEDIATE``; on PostgreSQL the services lock the rows they read
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
