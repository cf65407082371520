"""Scaling benchmarks (issue 18): each figure beside its peer measured in the same run.

Run: .venv/bin/python bench/bench_scaling.py [--quick]

1. Append rate, 4 writers: 4 processes each add notes to their own live contact through the service layer
   (``add_note``: write lock, chain, ledger leaf, findings refresh, summary), against 4 processes of raw
   ``sqlite3`` doing the same chained append (BEGIN IMMEDIATE, read the head, HMAC, INSERT, COMMIT) on a
   table of the same shape, WAL and ``synchronous=NORMAL`` as the app's.
2. Scaling tables, by events on the contact (10 / 100 / 1,000): one more note appended; a poll of the
   learner's ``/updates`` with nothing new; ``verify_contact`` of the chain. By contacts in the cohort (10 /
   100 / 1,000): the assessor's dashboard read from the summaries, against the same figures recomputed
   from every event (how it was done before the summaries) in the same run, and the whole dashboard page;
   ``verify_log`` over every contact.

Everything runs in a temporary SQLite database that is removed at the end. Medians of repeats; the machine
is shared, so each figure is printed with its peer or its smallest size, measured minutes apart at most.
"""

import argparse
import hashlib
import hmac
import json
import multiprocessing
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from crm_sandbox import create_app  # noqa: E402
from crm_sandbox.cli import get_or_create_cohort  # noqa: E402
from crm_sandbox.database import write_transaction  # noqa: E402
from crm_sandbox.events.append import append_event, lock_contact  # noqa: E402
from crm_sandbox.events.chain import verify_contact, verify_log  # noqa: E402
from crm_sandbox.extensions import db  # noqa: E402
from crm_sandbox.models import Assessment, Contact, Event, Finding, User  # noqa: E402
from crm_sandbox.operations import summaries  # noqa: E402
from crm_sandbox.operations.cohorts.accounts import create_user  # noqa: E402
from crm_sandbox.operations.cohorts.queues import build_queue  # noqa: E402
from crm_sandbox.operations.desk.lifecycle import open_contact  # noqa: E402
from crm_sandbox.operations.desk.notes import add_note  # noqa: E402
from crm_sandbox.operations.findings import refresh_findings  # noqa: E402
from crm_sandbox.queries import kpis  # noqa: E402
from crm_sandbox.queries.dashboard import cohort_dashboard  # noqa: E402
from crm_sandbox.seeding import seed_customers  # noqa: E402

PASSWORD = "bench-password"
SIZES = (10, 100, 1000)
NOTE = "Caller verified (DOB, postcode); query answered, nothing changed on the account."


def make_app(tmp: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
            "SECRET_KEY": "bench",
            "BLIND_INDEX_KEY": "bench",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "WTF_CSRF_ENABLED": False,
            "CHECKPOINT_INTERVAL": 0,
        },
        instance_path=f"{tmp}/instance",
    )


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def learners_with_queues(cohort, prefix: str, count: int, scenarios: list[str] | None = None) -> list[int]:
    ids = []
    with write_transaction():
        for n in range(count):
            user = create_user(f"{prefix}{n:03d}", PASSWORD, "learner", cohort=cohort)
            db.session.flush()
            build_queue(user, scenarios)
            ids.append(user.id)
    return ids


def fill(contact_id: int, events: int) -> None:
    """Append notes and conversation until the contact has ``events`` events (one transaction per 200)."""
    while True:
        with write_transaction():
            contact = lock_contact(contact_id)
            have = (
                db.session.execute(
                    select(Event.seq).where(Event.contact_id == contact_id).order_by(Event.seq.desc())
                ).scalar()
                or 0
            )
            if have >= events:
                return
            for seq in range(have + 1, min(events, have + 200) + 1):
                kind = ("message.sent", "message.received", "note.added")[seq % 3]
                data = {"text": NOTE} if kind == "note.added" else {"text": f"Message {seq}: thanks, one moment."}
                append_event(contact, kind, data, actor="caller" if kind == "message.received" else "learner")
            refresh_findings(contact)
            summaries.settle(contact_id)


# --- 1. Append rate, 4 writers ---------------------------------------------------------------------
def app_writer(tmp: str, contact_id: int, user_id: int, count: int, go, out) -> None:
    app = make_app(tmp)
    with app.app_context():
        contact, user = db.session.get(Contact, contact_id), db.session.get(User, user_id)
        add_note(contact, user, "Warm-up note.", None)  # the first request of a process loads its caches
        out.put("ready")
        go.wait()
        start = time.perf_counter()
        for i in range(count):
            add_note(contact, user, f"{NOTE} ({i})", None)
        out.put((count, time.perf_counter() - start))


RAW_SCHEMA = """CREATE TABLE event (id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL, seq INTEGER NOT NULL,
at TEXT NOT NULL, actor TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, mac TEXT NOT NULL,
UNIQUE (contact_id, seq))"""


def raw_writer(path: str, contact_id: int, count: int, go, out) -> None:
    con = sqlite3.connect(path, isolation_level=None, timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    key = b"bench-chain-key"
    out.put("ready")
    go.wait()
    start = time.perf_counter()
    for i in range(count):
        con.execute("BEGIN IMMEDIATE")
        head = con.execute(
            "SELECT seq, mac FROM event WHERE contact_id = ? ORDER BY seq DESC LIMIT 1", (contact_id,)
        ).fetchone()
        seq, prev = (head[0] + 1, head[1]) if head else (1, "")
        at = time.strftime("%Y-%m-%dT%H:%M:%S")
        data = json.dumps({"text": f"{NOTE} ({i})"})
        content = json.dumps(
            {"contact_id": contact_id, "seq": seq, "at": at, "actor": "learner", "type": "note.added", "data": data},
            sort_keys=True,
        )
        mac = hmac.new(key, prev.encode() + b"\n" + content.encode(), hashlib.sha256).hexdigest()
        con.execute(
            "INSERT INTO event (contact_id, seq, at, actor, type, data, mac) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (contact_id, seq, at, "learner", "note.added", data, mac),
        )
        con.execute("COMMIT")
    out.put((count, time.perf_counter() - start))
    con.close()


def run_writers(target, argsets) -> float:
    """Events per second of the processes together (from the first start to the last finish)."""
    ctx = multiprocessing.get_context("fork")
    go, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, go, out)) for a in argsets]
    for p in procs:
        p.start()
    for _ in procs:  # every writer has built its app and is waiting
        out.get(timeout=300)
    start = time.perf_counter()
    go.set()
    results = [out.get(timeout=600) for _ in procs]
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
    return sum(n for n, _ in results) / elapsed


def append_rate(tmp: str, app, writers: int, notes: int, raw_notes: int) -> None:
    with app.app_context():
        cohort = get_or_create_cohort("Writers")
        uid = learners_with_queues(cohort, "writer", 1)[0]
        user = db.session.get(User, uid)
        contacts = (
            db.session.execute(select(Contact).where(Contact.learner_id == uid).order_by(Contact.id))
            .scalars()
            .all()[:writers]
        )
        for c in contacts:
            open_contact(c, user)
        ids = [c.id for c in contacts]
        db.session.remove()
        db.engine.dispose()  # no connection crosses the fork
    app_rate = run_writers(app_writer, [(tmp, cid, uid, notes) for cid in ids])
    raw_path = f"{tmp}/raw.sqlite"
    con = sqlite3.connect(raw_path)
    con.execute(RAW_SCHEMA)
    con.commit()
    con.close()
    raw_rate = run_writers(raw_writer, [(raw_path, cid, raw_notes) for cid in range(1, writers + 1)])
    print(f"\n1. Append rate, {writers} writers (processes), one note per write transaction")
    print(
        f"   service layer (add_note: lock, chain, ledger, findings, summary): {app_rate:8,.0f} events/s ({notes} each)"
    )
    print(
        f"   raw sqlite3, the same chained append:                          {raw_rate:8,.0f} events/s ({raw_notes} each)"
    )
    print(f"   ratio: {app_rate / raw_rate:.4f} (target >= 0.07)")


# --- 2. Scaling by events on a contact ---------------------------------------------------------------
def by_events(app, repeats: int) -> None:
    with app.app_context():
        cohort = get_or_create_cohort("Long contacts")
        uid = learners_with_queues(cohort, "long", 1)[0]
        user = db.session.get(User, uid)
        contacts = (
            db.session.execute(select(Contact).where(Contact.learner_id == uid).order_by(Contact.id)).scalars().all()
        )
        sized = {size: c.id for size, c in zip(SIZES, contacts)}
        for size, cid in sized.items():
            open_contact(db.session.get(Contact, cid), user)
            fill(cid, size)
    client = app.test_client()
    client.post("/auth/login", data={"username": "long000", "password": PASSWORD})
    rows = []
    with app.app_context():
        user = db.session.get(User, uid)
        for size, cid in sized.items():
            contact = db.session.get(Contact, cid)
            last = db.session.execute(
                select(Event.seq).where(Event.contact_id == cid).order_by(Event.seq.desc())
            ).scalar()
            poll = median_ms(lambda: client.get(f"/learner/contacts/{cid}/updates?after={last}"), repeats * 3)
            events = (
                db.session.execute(select(Event).where(Event.contact_id == cid).order_by(Event.seq)).scalars().all()
            )
            verify = median_ms(lambda: verify_contact(cid, events=events), repeats)
            append = median_ms(lambda: add_note(contact, user, NOTE, None), repeats)
            rows.append((size, append, poll, verify))
    print("\n2. By events already on the contact (median ms)")
    print(f"   {'events':>7} {'append (add_note)':>18} {'poll /updates':>14} {'verify chain':>13}")
    for size, append, poll, verify in rows:
        print(f"   {size:>7,} {append:>18.1f} {poll:>14.1f} {verify:>13.1f}")
    base = rows[0]
    print(
        f"   at 1,000 : at 10 -- append {rows[-1][1] / base[1]:.1f}x (target 1.5x), poll {rows[-1][2] / base[2]:.1f}x "
        f"(target 1.5x), verify {rows[-1][3] / base[3]:.1f}x (linear in events: ~100x)"
    )


# --- 3. Scaling by contacts in the cohort -------------------------------------------------------------
def played(contact_id: int) -> None:
    """A contact as a learner leaves it: opened, verified, a conversation, a note, closed (12 events)."""
    with write_transaction():
        contact = lock_contact(contact_id)
        who = contact.customer_id
        steps = [
            ("contact.opened", {}, "learner"),
            ("message.received", {"text": "Hi, I have a question about my account."}, "caller"),
            ("message.sent", {"text": "Hello, thank you for calling. How can I help you today?"}, "learner"),
            (
                "idv.answer",
                {"factor": "date_of_birth", "given": "01/01/1980", "match": True, "customer_id": who},
                "learner",
            ),
            ("idv.answer", {"factor": "postcode", "given": "LS1 4AP", "match": True, "customer_id": who}, "learner"),
            ("idv.result", {"passed": True}, "system"),
            ("message.received", {"text": "Can you tell me my balance?"}, "caller"),
            ("message.sent", {"text": "Thank you, I can see the account now."}, "learner"),
            ("message.sent", {"text": "Is there anything else I can help you with today?"}, "learner"),
            ("message.received", {"text": "No, that's all, thanks."}, "caller"),
            ("note.added", {"text": NOTE}, "learner"),
            ("contact.closed", {"outcome": "information-given", "resolved": True}, "learner"),
        ]
        for kind, data, actor in steps:
            append_event(contact, kind, data, actor=actor)
        contact.status = "closed"
        refresh_findings(contact)
        summaries.settle(contact_id)


def dashboard_from_events(cohort_id: int) -> int:
    """The dashboard's per-contact figures as they were computed before the summaries: every event of every
    contact loaded, the findings with their decisions, KPIs folded per contact (the peer)."""
    contacts = db.session.execute(select(Contact).where(Contact.cohort_id == cohort_id)).scalars().all()
    ids = [c.id for c in contacts]
    events = defaultdict(list)
    for e in db.session.execute(
        select(Event).where(Event.contact_id.in_(ids)).order_by(Event.contact_id, Event.seq)
    ).scalars():
        events[e.contact_id].append(e)
    found = defaultdict(Counter)
    for f in db.session.execute(
        select(Finding).where(Finding.contact_id.in_(ids), Finding.active).options(selectinload(Finding.decisions))
    ).scalars():
        if not (f.decision and f.decision.decision == "dismissed"):
            found[f.contact_id][f.severity] += 1
    db.session.execute(select(Assessment).where(Assessment.contact_id.in_(ids), Assessment.voided_at.is_(None))).all()
    return len([kpis.contact_kpis(events[c.id], sum(found[c.id].values())) for c in contacts])


def by_contacts(app, repeats: int) -> None:
    cohorts = {}
    with app.app_context():
        trainer = create_user("bench-trainer", PASSWORD, "trainer")
        db.session.commit()
        for size in SIZES:
            cohort = get_or_create_cohort(f"Cohort of {size}")
            db.session.commit()
            per_learner = 13
            learners = max(1, -(-size // per_learner))
            learners_with_queues(cohort, f"c{size}-", learners)
            ids = (
                db.session.execute(select(Contact.id).where(Contact.cohort_id == cohort.id).order_by(Contact.id))
                .scalars()
                .all()
            )
            for cid in ids[:size]:
                played(cid)
            cohorts[size] = (cohort.id, len(ids))
        assert trainer
    client = app.test_client()
    client.post("/auth/login", data={"username": "bench-trainer", "password": PASSWORD})
    rows = []
    with app.app_context():
        for size, (cohort_id, total) in cohorts.items():
            db.session.expire_all()
            now = median_ms(lambda: cohort_dashboard(cohort_id), repeats)
            before = median_ms(lambda: dashboard_from_events(cohort_id), repeats)
            assert client.get(f"/assessor/?cohort={cohort_id}").status_code == 200
            page = median_ms(lambda: client.get(f"/assessor/?cohort={cohort_id}"), repeats)
            rows.append((size, total, now, before, page))
        ids = db.session.execute(select(Contact.id)).scalars().all()
        events = db.session.execute(select(Event.id)).scalars().all()
        start = time.perf_counter()
        statuses = verify_log()
        whole = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        for cid in ids:  # the peer: each contact on its own (its rows, its seals, the public key each time)
            verify_contact(cid)
        one_by_one = (time.perf_counter() - start) * 1000
    print("\n3. By contacts in the cohort (median ms; each played contact has 12 events, the rest are queued)")
    print(
        f"   {'played':>7} {'contacts':>9} {'dashboard (summaries)':>22} {'from every event':>17} {'ratio':>6} {'page':>7}"
    )
    for size, total, now, before, page in rows:
        print(f"   {size:>7,} {total:>9,} {now:>22.1f} {before:>17.1f} {now / before:>6.2f} {page:>7.1f}")
    print(
        f"   dashboard at 1,000 played contacts: {rows[-1][2]:.1f} ms (target < 100 ms); the page {rows[-1][4]:.0f} ms"
    )
    print(
        f"   verify_log: {len(statuses):,} contacts, {len(events):,} events in {whole:.0f} ms = {whole / len(statuses):.3f} ms "
        f"per contact; each contact on its own: {one_by_one:.0f} ms = {one_by_one / len(ids):.3f} ms per contact"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and notes (about a minute)")
    parser.add_argument(
        "--only", choices=("append", "events", "contacts"), help="run one part: 1 (append), 2 (events) or 3 (contacts)"
    )
    args = parser.parse_args()
    repeats, notes, raw_notes = (5, 25, 500) if args.quick else (15, 60, 2000)
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(tmp)
        with app.app_context():
            db.create_all()
            with write_transaction():
                seed_customers(get_or_create_cohort("Customers"), 1, 200)
        if args.only in (None, "append"):
            append_rate(tmp, app, 4, notes, raw_notes)
        if args.only in (None, "events"):
            by_events(app, repeats)
        if args.only in (None, "contacts"):
            by_contacts(app, repeats)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
