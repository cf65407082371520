"""Faults: a locked database, a full disk and a worker killed mid-write.

Each must end with a clear message to the user (503, never a stack trace), nothing half-written, and
every contact's event chain intact; an event a worker acknowledged (committed) is never lost.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from crm_sandbox.database import write_transaction
from crm_sandbox.events.append import append_event, contact_events, lock_contact
from crm_sandbox.events.chain import verify_contact
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact
from tests.conftest import stored_rows
from tests.helpers import FETCH, customer_of, take_and_find

ROOT = Path(__file__).resolve().parent.parent
# The tables that hold evidence or account state: a failed write must leave every one of them as it was.
EVIDENCE_TABLES = (
    "event",
    "finding",
    "finding_decision",
    "criterion_judgement",
    "assessment",
    "customer",
    "account_transaction",
    "contact",
    "chain_seal",
)


def db_path(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def snapshot(app) -> dict:
    """Every row of the evidence tables, as stored (a failed request must not change one byte)."""
    return stored_rows(app, EVIDENCE_TABLES)


def chain_ok(app, cid: int) -> bool:
    with app.app_context():
        status = verify_contact(cid)
        return status.ok and status.events == len(contact_events(cid))


@pytest.fixture
def live(app, client, make_user, login, contact_of):
    """A learner's live contact (taken, searched, record opened); returns its id."""
    uid = make_user("learner1", queue=["change-of-address"])
    login("learner1")
    cid = contact_of(uid, "change-of-address")
    take_and_find(client, cid, customer_of(app, cid))
    assert chain_ok(app, cid)
    return cid


@pytest.fixture
def lock_holder(app):
    """Another connection holding the database's write lock (``BEGIN EXCLUSIVE``) until released."""
    holder = sqlite3.connect(db_path(app), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    yield holder
    if holder.in_transaction:
        holder.execute("ROLLBACK")
    holder.close()


def fresh_connections(app, **settings) -> None:
    """Apply SQLite connection settings: they are read when a connection is made, so drop the pool."""
    app.config.update(settings)
    with app.app_context():
        db.engine.dispose()


# --- (a) the database locked beyond the busy timeout -------------------------------------------------------


@pytest.mark.requires_sqlite("holds SQLite's database lock (BEGIN EXCLUSIVE) and sets busy_timeout")
@pytest.mark.parametrize(
    "action, data",
    [
        ("messages", {"text": "Thanks for calling, let me check that for you."}),
        ("notes", {"text": "Caller asked to change their address."}),
        ("escalate", {"reason": "Caller asked for a manager."}),
        ("details", {"field": "town", "value": "Leeds"}),
    ],
)
def test_a_locked_database_gives_a_plain_503_and_writes_nothing(app, client, live, lock_holder, action, data):
    fresh_connections(app, SQLITE_BUSY_TIMEOUT_MS=50)
    before = snapshot(app)  # WAL: readers are not blocked by the lock holder
    resp = client.post(f"/learner/contacts/{live}/{action}", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert "The database is busy: nothing was saved" in html
    assert "Traceback" not in html and "OperationalError" not in html and "sqlite" not in html.lower()
    assert snapshot(app) == before

    lock_holder.execute("ROLLBACK")
    events = len(contact_events_of(app, live))
    # The same action succeeds once the lock is gone: the failure left no transaction or lock behind.
    retry = client.post(f"/learner/contacts/{live}/{action}", data=data)
    assert retry.status_code == 303
    assert len(contact_events_of(app, live)) > events
    assert chain_ok(app, live)


def contact_events_of(app, cid: int) -> list:
    with app.app_context():
        return contact_events(cid)


@pytest.mark.requires_sqlite("holds SQLite's database lock (BEGIN EXCLUSIVE) and sets busy_timeout")
def test_a_locked_database_records_nothing_for_any_write(app, client, live, lock_holder):
    fresh_connections(app, SQLITE_BUSY_TIMEOUT_MS=50)
    before = snapshot(app)
    for action, data in (
        ("messages", {"text": "Hello"}),
        ("refund", {"amount": "5", "kind": "goodwill", "reason": "Delay"}),
        ("close", {"outcome": "resolved", "resolved": "yes"}),
    ):
        resp = client.post(f"/learner/contacts/{live}/{action}", data=data)
        assert resp.status_code == 503, action
    assert snapshot(app) == before
    lock_holder.execute("ROLLBACK")
    assert chain_ok(app, live)


@pytest.mark.requires_sqlite("holds SQLite's database lock (BEGIN EXCLUSIVE) and sets busy_timeout")
def test_a_locked_database_answers_the_page_script_with_json(app, client, live, lock_holder):
    fresh_connections(app, SQLITE_BUSY_TIMEOUT_MS=50)
    resp = client.post(f"/learner/contacts/{live}/messages", data={"text": "Hello"}, headers=FETCH)
    assert resp.status_code == 503
    assert resp.get_json() == {"ok": False, "error": "The database is busy: nothing was saved. Try again in a moment."}


@pytest.fixture
def assessor_in(client, live, make_user, login):
    make_user("assessor1", "assessor")
    client.post("/auth/logout")
    login("assessor1")


@pytest.mark.requires_sqlite("holds SQLite's database lock (BEGIN EXCLUSIVE) and sets busy_timeout")
def test_an_assessor_action_on_a_locked_database_is_refused_plainly(app, client, live, assessor_in, lock_holder):
    fresh_connections(app, SQLITE_BUSY_TIMEOUT_MS=50)
    resp = client.post(f"/assessor/contacts/{live}/observations", data={"text": "Good rapport."})
    assert resp.status_code == 503 and "nothing was saved" in resp.get_data(as_text=True)
    lock_holder.execute("ROLLBACK")
    assert chain_ok(app, live)


# --- (b) the disk full -------------------------------------------------------------------------------------


def page_count(app) -> int:
    con = sqlite3.connect(db_path(app))
    try:
        con.execute("VACUUM")  # no free pages left: the next write that needs a page must grow the file
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return con.execute("PRAGMA page_count").fetchone()[0]
    finally:
        con.close()


@pytest.mark.requires_sqlite("fills the database with SQLite's max_page_count")
@pytest.mark.parametrize(
    "action, data",
    [
        ("messages", {"text": "A long reply to the caller. " * 140}),
        ("notes", {"text": "A long contemporaneous note. " * 135}),
        (
            "complaint",
            {
                "summary": "Complaint about the delay. " * 35,
                "investigation": "Looked into it. " * 60,
                "remedy": "Apology and goodwill. " * 45,
            },
        ),
    ],
)
def test_a_full_disk_gives_a_plain_503_writes_nothing_and_keeps_the_chain(app, client, live, action, data):
    before = snapshot(app)
    # The database may not grow: the next write that needs a new page fails with SQLITE_FULL.
    fresh_connections(app, SQLITE_MAX_PAGE_COUNT=page_count(app))
    resp = client.post(f"/learner/contacts/{live}/{action}", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert "The database is full: nothing was saved" in html
    assert "Traceback" not in html and "OperationalError" not in html
    assert snapshot(app) == before
    assert chain_ok(app, live)

    # Space again: the same action goes through and chains on from the last good event.
    fresh_connections(app, SQLITE_MAX_PAGE_COUNT=None)
    assert client.post(f"/learner/contacts/{live}/{action}", data=data).status_code == 303
    assert len(contact_events_of(app, live)) > len(before["event"])
    assert chain_ok(app, live)


@pytest.mark.requires_sqlite("fills the database with SQLite's max_page_count")
def test_a_full_disk_answers_the_page_script_with_json(app, client, live):
    fresh_connections(app, SQLITE_MAX_PAGE_COUNT=page_count(app))
    resp = client.post(f"/learner/contacts/{live}/messages", data={"text": "x" * 3900}, headers=FETCH)
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["ok"] is False and body["error"].startswith("The database is full: nothing was saved")


# --- (c) a worker killed mid-write -------------------------------------------------------------------------

WORKER = textwrap.dedent("""
    import sys, time
    from crm_sandbox import create_app
    from crm_sandbox.database import write_transaction
    from crm_sandbox.extensions import db
    from crm_sandbox.events.append import append_event, lock_contact

    contact_id, count, hang = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "hang"
    app = create_app()
    with app.app_context():
        for i in range(count):
            with write_transaction():
                event = append_event(lock_contact(contact_id), "observation.added",
                                     {"text": f"load {i}", "by": "assessor1"}, actor="system")
                seq = event.seq
            print(f"committed {seq}", flush=True)  # acknowledged only after the commit returned
        if hang:
            with write_transaction():
                event = append_event(lock_contact(contact_id), "observation.added",
                                     {"text": "never committed", "by": "assessor1"}, actor="system")
                db.session.flush()
                print(f"pending {event.seq}", flush=True)
                time.sleep(600)
        else:
            while True:  # keep writing until killed
                with write_transaction():
                    seq = append_event(lock_contact(contact_id), "observation.added",
                                       {"text": "more", "by": "assessor1"}, actor="system").seq
                print(f"committed {seq}", flush=True)
""")


def run_worker(app, tmp_path, contact_id: int, count: int, mode: str) -> subprocess.Popen:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_APP")}
    env.update(
        {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "CRM_INSTANCE_PATH": app.instance_path,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "CHAIN_KEY": app.config["CHAIN_KEY"],
            "BLIND_INDEX_KEY": app.config["BLIND_INDEX_KEY"],
            "FIELD_KEYS": ",".join(app.config["FIELD_KEYS"])
            if isinstance(app.config["FIELD_KEYS"], list)
            else app.config["FIELD_KEYS"],
            "PYTHONPATH": str(ROOT),
        }
    )
    return subprocess.Popen(
        [sys.executable, str(script), str(contact_id), str(count), mode],  # noqa: S603
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def read_until(proc: subprocess.Popen, done) -> list[str]:
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if done(lines):
            return lines
    proc.wait(timeout=60)
    pytest.fail(f"the worker stopped early: {proc.stderr.read()[-2000:]}")


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stdout.close()
    proc.stderr.close()


def acknowledged(lines: list[str]) -> list[int]:
    return [int(line.split()[1]) for line in lines if line.startswith("committed ")]


def test_a_worker_killed_while_appending_loses_no_acknowledged_event(app, live, tmp_path):
    proc = run_worker(app, tmp_path, live, 0, "run")
    lines = read_until(proc, lambda lines: len(lines) >= 40)
    kill(proc)  # part-way through its stream of writes
    acked = acknowledged(lines)
    with app.app_context():
        stored = {e.seq for e in contact_events(live)}
    assert set(acked) <= stored
    assert chain_ok(app, live)
    assert_the_chain_carries_on(app, live)


def test_a_worker_killed_inside_a_write_transaction_leaves_no_trace_of_it(app, live, tmp_path):
    proc = run_worker(app, tmp_path, live, 5, "hang")
    lines = read_until(proc, lambda lines: lines[-1].startswith("pending "))
    pending = int(lines[-1].split()[1])
    kill(proc)  # holding the write lock, its event flushed but not committed
    acked = acknowledged(lines)
    assert len(acked) == 5
    with app.app_context():
        stored = [e.seq for e in contact_events(live)]
    assert set(acked) <= set(stored)
    assert stored[-1] == acked[-1] == pending - 1  # the unacknowledged event is gone, not half-there
    assert chain_ok(app, live)
    assert_the_chain_carries_on(app, live)


def assert_the_chain_carries_on(app, cid: int) -> None:
    """The dead worker's lock is gone: a new write succeeds at once and links onto the last event."""
    with app.app_context():
        with write_transaction():
            last = contact_events(cid)[-1].seq
            event = append_event(
                lock_contact(cid), "observation.added", {"text": "after the crash", "by": "assessor1"}, actor="system"
            )
            assert event.seq == last + 1
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert db.session.get(Contact, cid) is not None
    assert chain_ok(app, cid)
