"""The write side's one shape (operations/contact_operation.py) and what append_event refuses.

Every operation that appends events takes the contact's lock, refuses a replayed form, appends through
the event registry and refreshes the findings itself: no hook on SQLAlchemy's Session class does it.
"""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_sandbox.database import EventImmutableError, write_transaction
from crm_sandbox.errors import Conflict
from crm_sandbox.events.append import append_event, contact_events, lock_contact
from crm_sandbox.events.registry import NOTE_ADDED, MalformedEvent, UnknownEventType
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event, Finding, User
from crm_sandbox.operations.contact_operation import FindingsNotRefreshed, contact_operation
from crm_sandbox.operations.desk import conversation, lifecycle, notes


@pytest.fixture
def live(app, make_user, contact_of):
    """A change-of-address contact, taken from the queue; returns its id."""
    uid = make_user("learner1", queue=["change-of-address"])
    cid = contact_of(uid, "change-of-address")
    with app.app_context():
        lifecycle.open_contact(db.session.get(Contact, cid), db.session.get(User, uid))
    return cid


def count_events(app, cid: int) -> int:
    with app.app_context():
        return len(contact_events(cid))


@pytest.mark.parametrize(
    "etype, data, error",
    [
        ("note.deleted", {"text": "gone"}, UnknownEventType),
        ("", {}, UnknownEventType),
        ("note.added", {}, MalformedEvent),  # text missing
        ("note.added", {"text": 42}, MalformedEvent),  # text not a string
        ("note.added", {"text": "hi", "colour": "red"}, MalformedEvent),  # undeclared field
        ("contact.closed", {"outcome": "resolved", "resolved": "yes"}, MalformedEvent),  # "yes" is not a bool
        ("refund.issued", {"amount": "25", "kind": "refund", "reason": "late"}, MalformedEvent),
    ],
)
def test_append_event_refuses_an_unknown_type_or_malformed_data(app, live, etype, data, error):
    before = count_events(app, live)
    with app.app_context(), pytest.raises(error), write_transaction():
        append_event(lock_contact(live), etype, data, actor="learner")
    assert count_events(app, live) == before


def test_append_event_records_what_the_registry_declares(app, live):
    with app.app_context(), write_transaction():
        event = append_event(lock_contact(live), NOTE_ADDED, {"text": "Card 4111 1111 1111 1111"}, actor="learner")
        assert event.data["card_data"] and "4111 1111 1111 1111" not in event.data["text"]


def test_an_operation_refreshes_the_findings_it_can_change(app, live):
    with app.app_context():
        contact = db.session.get(Contact, live)
        y, m, d = contact.customer.date_of_birth.split("-")
        conversation.send_message(contact, contact.learner, f"Hello! Is your date of birth {d}/{m}/{y}?")
        rules = set(
            db.session.execute(select(Finding.rule).where(Finding.contact_id == live, Finding.active)).scalars()
        )
    assert "leading-verification-question" in rules


def test_an_operation_that_forgets_to_refresh_the_findings_is_refused_and_records_nothing(app, live):
    before = count_events(app, live)
    with app.app_context(), pytest.raises(FindingsNotRefreshed):
        with contact_operation(db.session.get(Contact, live)) as op:
            op.append(NOTE_ADDED, {"text": "no refresh"}, actor="learner")
    assert count_events(app, live) == before


def test_a_replayed_form_is_refused_and_its_token_is_on_the_first_event_only(app, live):
    with app.app_context():
        contact = db.session.get(Contact, live)
        conversation.send_message(contact, contact.learner, "Hello, how can I help?", form_token="tok-1")
        tokens = [(e.type, e.form_token) for e in contact_events(live)[-2:]]
        with pytest.raises(Conflict, match="already sent"):
            conversation.send_message(contact, contact.learner, "Hello, how can I help?", form_token="tok-1")
        with pytest.raises(Conflict, match="already saved"):
            notes.add_note(contact, contact.learner, "first", None, form_token="tok-1")
        with contact_operation(contact, "tok-1", repeated=None) as op:
            assert op.repeat  # told, not refused: the operation decides
    assert tokens == [("message.sent", "tok-1"), ("message.received", None)]


def test_no_class_level_session_listener_is_left(app):
    """A session made elsewhere in the process (not the app's) runs no hook of ours at all; the
    app's own session has the append-only guard before a flush, and at commit only the ledger's
    checkpoint step (which does nothing unless an operation asked for a checkpoint)."""
    from crm_sandbox import ledger

    other = Session()
    assert len(other.dispatch.before_flush) == 0 and len(other.dispatch.before_commit) == 0
    assert len(other.dispatch.after_flush) == 0
    with app.app_context():
        ours = db.session()
        assert len(ours.dispatch.before_flush) == 1
        assert list(ours.dispatch.before_commit) == [ledger._before_commit]


def test_the_append_only_guard_still_refuses_a_change_or_a_delete(app, live):
    with app.app_context():
        event = db.session.execute(select(Event).where(Event.contact_id == live)).scalars().first()
        event.data = {**event.data, "tampered": True}
        with pytest.raises(EventImmutableError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.execute(select(Event).where(Event.contact_id == live)).scalars().first())
        with pytest.raises(EventImmutableError):
            db.session.flush()
        db.session.rollback()
