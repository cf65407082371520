"""The desk costs what it shows: a bounded number of queries, no lazy loads, and polls read by cursor."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from crm_sandbox.database import write_transaction
from crm_sandbox.events.append import append_event
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event
from crm_sandbox.queries.workspace import after_cursor
from tests.helpers import say, verify

# What the desk's own read may touch; the sign-in's user load (Flask-Login, before any view) and the
# who-saw-what record written after the page is rendered (data_view and its ledger leaf) are not the desk.
DESK_TABLES = ("contact", "event", "customer", "account_transaction", "prior_interaction", "finding")


class LazyLoad(AssertionError):
    """A relationship was loaded one object at a time (an N+1 in waiting)."""


@contextmanager
def statements(app):
    """The SQL statements run inside the block (a list filled as they run); a lazy load raises."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def on_execute(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    def on_orm_execute(state):
        if state.is_relationship_load:
            raise LazyLoad(f"lazy load: {state.statement}")

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(Session, "do_orm_execute", on_orm_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(Session, "do_orm_execute", on_orm_execute)


def desk_reads(seen: list[str]) -> list[str]:
    """The SELECTs of the desk's own read model (see DESK_TABLES)."""
    reads = []
    for sql in seen:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        tables = {t for pair in re.findall(r"\b(?:FROM|JOIN)\s+\"?(\w+)", sql, re.I) for t in [pair] if t}
        if tables & set(DESK_TABLES):
            reads.append(sql)
    return reads


@pytest.fixture
def worked(app, client, make_user, login, contact_of):
    """learner1 on a verified chat with a message, a note and a knowledge-base article read."""
    learner_id = make_user("learner1", queue=["balance-enquiry", "change-of-address", "missing-refund"])
    login("learner1")
    contact_id = contact_of(learner_id, "balance-enquiry")
    verify(client, app, contact_id)
    say(client, contact_id, "Thanks, you're verified. How can I help today?")
    client.post(f"/learner/contacts/{contact_id}/notes", data={"text": "Caller asked about the balance."})
    client.post(f"/learner/contacts/{contact_id}/kb/idv-policy")
    return contact_id


def test_the_desk_makes_at_most_4_queries_and_no_lazy_loads(app, client, worked):
    with statements(app) as seen:
        resp = client.get(f"/learner/contacts/{worked}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Recent transactions" in html and 'class="fields"' in html  # the verified record, in full
    reads = desk_reads(seen)
    assert len(reads) <= 4, "\n\n".join(reads)


@pytest.mark.parametrize("status", ["queued", "masked"])
def test_the_desk_stays_within_4_queries_before_verification(app, client, make_user, login, contact_of, status):
    learner_id = make_user("learner1", queue=["balance-enquiry", "change-of-address"])
    login("learner1")
    contact_id = contact_of(learner_id, "balance-enquiry")
    if status == "masked":
        with app.app_context():
            customer = db.session.get(Contact, contact_id).customer
            last_name, customer_id = customer.last_name, customer.id
        client.post(f"/learner/contacts/{contact_id}/open")
        client.post(f"/learner/contacts/{contact_id}/search", data={"query": last_name})
        client.post(f"/learner/contacts/{contact_id}/customers/{customer_id}/view")
    with statements(app) as seen:
        resp = client.get(f"/learner/contacts/{contact_id}")
    assert resp.status_code == 200
    assert len(desk_reads(seen)) <= 4, "\n\n".join(desk_reads(seen))


def pad_contact(app, contact_id: int, total: int) -> int:
    """Append chat messages until the contact has ``total`` events; returns its last seq."""
    with app.app_context():
        with write_transaction():
            contact = db.session.get(Contact, contact_id)
            have = len(contact.events)
            for i in range(total - have):
                append_event(contact, "message.sent", {"text": f"Still checking that for you ({i})."}, actor="learner")
        return db.session.get(Contact, contact_id).events[-1].seq


def test_a_poll_reads_only_the_events_after_its_cursor(app, client, make_user, login, contact_of):
    learner_id = make_user("learner1", queue=["balance-enquiry", "change-of-address"])
    login("learner1")
    short, long = contact_of(learner_id, "balance-enquiry"), contact_of(learner_id, "change-of-address")
    for cid in (short, long):
        client.post(f"/learner/contacts/{cid}/open")
    cost = {}
    for cid, total in ((short, 10), (long, 1000)):
        last = pad_contact(app, cid, total)
        loaded: list[int] = []
        listener = lambda target, context: loaded.append(target.seq)  # noqa: E731
        event.listen(Event, "load", listener)
        try:
            with statements(app) as seen:
                quiet = client.get(f"/learner/contacts/{cid}/updates?after={last}").get_json()
                news = client.get(f"/learner/contacts/{cid}/updates?after={last - 2}").get_json()
        finally:
            event.remove(Event, "load", listener)
        assert quiet["messages"] == [] and quiet["last_seq"] == last
        assert [m["seq"] for m in news["messages"]] == [last - 1, last] and news["last_seq"] == last
        assert sorted(loaded) == [last - 1, last]  # rows read: only those after the cursor
        cost[total] = len([s for s in seen if s.lstrip().upper().startswith("SELECT")])
    assert cost[1000] == cost[10]


def test_a_poll_with_a_bad_cursor_reads_from_the_start(app, client, make_user, login, contact_of):
    learner_id = make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    cid = contact_of(learner_id, "balance-enquiry")
    client.post(f"/learner/contacts/{cid}/open")
    head = client.get(f"/learner/contacts/{cid}/updates").get_json()["last_seq"]
    for after in ("x", "-1", "9" * 40):
        data = client.get(f"/learner/contacts/{cid}/updates?after={after}").get_json()
        assert data["last_seq"] == head and len(data["messages"]) >= 1 and data["typing"] is False


def test_the_poll_reads_by_the_contact_and_seq_index(app):
    """The cursor read is a range on the ``(contact_id, seq)`` index, not a scan of the contact's events."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the plan is read with SQLite's EXPLAIN QUERY PLAN")
        sql = after_cursor(1, 5).compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = db.session.execute(db.text(f"EXPLAIN QUERY PLAN {sql}")).all()
    detail = " ".join(str(row[-1]) for row in plan)
    assert "INDEX" in detail and "seq>?" in detail.replace(" ", ""), detail
