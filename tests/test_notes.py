"""The interaction log: notes with outcome codes, amendments that keep the original, and history."""

import html as html_lib

import pytest

from crm_sandbox.content.responses import load_outcomes
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact
from tests import helpers
from tests.helpers import customer_of, messages_after, page, post, signed_in, take_and_find

SCENARIO = "balance-enquiry"


@pytest.fixture
def desk(app, make_user, login, contact_of):
    """learner1 signed in, their contact taken; returns its id."""
    learner = make_user("learner1", queue=[SCENARIO, "change-of-address"])
    login("learner1")
    return contact_of(learner, SCENARIO)


@pytest.fixture
def live(client, desk):
    client.post(f"/learner/contacts/{desk}/open")
    return desk


def note(client, cid, text, outcome="", **extra):
    return post(client, cid, "notes", text=text, outcome=outcome, **extra)


def amend(client, cid, seq, text, reason, **extra):
    return post(client, cid, f"notes/{seq}/amend", text=text, reason=reason, **extra)


def verify(client, app, cid):
    return helpers.verify(client, app, cid, dob_format="%d %B %Y")


def test_a_note_with_an_outcome_code_is_recorded_and_shown(app, client, live, events_of):
    resp = note(client, live, "Customer asked for the balance.", "information-given")
    assert "Note saved" in messages_after(client, resp)
    ev = events_of(live)[-1]
    assert (ev[0], ev[4], ev[1]) == (
        "note.added",
        "learner",
        {"text": "Customer asked for the balance.", "outcome": "information-given"},
    )
    assert ev[2].tzinfo is not None  # a server timestamp
    html = page(client, live)
    label = {o["code"]: o["label"] for o in load_outcomes(app.config["SEED_DIR"])}["information-given"]
    assert 'class="note-text">Customer asked for the balance.' in html
    assert f'class="badge">{label}<' in html


def test_a_note_without_an_outcome_is_allowed(client, live, events_of):
    note(client, live, "Call notes so far.")
    assert events_of(live)[-1][1] == {"text": "Call notes so far."}


def test_an_unknown_outcome_code_is_refused(client, live, events_of):
    resp = note(client, live, "Something", "made-up")
    assert "outcome code" in messages_after(client, resp)
    assert "note.added" not in [e[0] for e in events_of(live)]


@pytest.mark.parametrize("text, message", [("", "empty"), (" \n\t ", "empty"), ("n" * 20_000, "too long")])
def test_empty_and_huge_notes_are_refused(client, live, events_of, text, message):
    resp = note(client, live, text, "resolved")
    assert message in messages_after(client, resp)
    assert "note.added" not in [e[0] for e in events_of(live)]


def test_a_note_in_html_is_shown_as_text(client, live):
    note(client, live, "<script>alert(1)</script> said <b>hello</b>")
    html = page(client, live)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_double_submitted_note_is_recorded_once(client, live, events_of):
    note(client, live, "Only once.", form_token="note-form")
    resp = note(client, live, "Only once.", form_token="note-form")
    assert "already saved" in messages_after(client, resp)
    assert [e[0] for e in events_of(live)].count("note.added") == 1


def test_a_note_before_taking_the_contact_is_refused(client, desk, events_of):
    resp = note(client, desk, "Too early.")
    assert "Open the contact" in messages_after(client, resp)
    assert events_of(desk) == []


def test_a_note_after_closing_is_allowed(client, live, events_of):
    post(client, live, "close", outcome="resolved", resolved="yes")
    resp = note(client, live, "Late note: customer rang back to say thanks.", "resolved")
    assert "Note saved" in messages_after(client, resp)
    assert [e[0] for e in events_of(live)][-2:] == ["contact.closed", "note.added"]
    assert "Late note: customer rang back" in page(client, live)


# --- amendments --------------------------------------------------------------------------------------


def test_an_amendment_keeps_the_original_visible_with_the_reason(client, live, events_of):
    note(client, live, "Customer wants balance; told £100.", "information-given")
    seq = events_of(live)[-1][3]
    resp = amend(
        client,
        live,
        seq,
        "Customer wants balance; balance given after ID&V.",
        "Wrote an amount that should not be in the notes",
    )
    assert "original is kept" in messages_after(client, resp)
    ev = events_of(live)[-1]
    assert (ev[0], ev[4], ev[1]) == (
        "note.amended",
        "learner",
        {
            "note_seq": seq,
            "text": "Customer wants balance; balance given after ID&V.",
            "reason": "Wrote an amount that should not be in the notes",
        },
    )
    html = html_lib.unescape(page(client, live))
    assert "Amended" in html
    assert "Customer wants balance; balance given after ID&V." in html
    assert "Customer wants balance; told £100." in html  # the original is still there
    assert "amended because: Wrote an amount that should not be in the notes" in html
    assert "original" in html
    # Nothing was deleted or changed: both events are in the log.
    types = [e[0] for e in events_of(live)]
    assert types.count("note.added") == 1 and types.count("note.amended") == 1


def test_every_version_is_kept_in_order(client, live, events_of):
    note(client, live, "v1")
    seq = events_of(live)[-1][3]
    amend(client, live, seq, "v2", "first fix")
    amend(client, live, seq, "v3", "second fix")
    html = page(client, live)
    assert "Versions (3)" in html
    assert html.index(">v1<") < html.index(">v2<") < html.index(">v3<", html.index("Versions (3)"))


@pytest.mark.parametrize(
    "text, reason, message",
    [
        ("new text", "", "reason for the amendment is empty"),
        ("new text", "r" * 20_000, "too long"),
        ("", "typo", "amended note is empty"),
        ("n" * 20_000, "typo", "too long"),
        ("Original text.", "no change", "same as the note"),
    ],
)
def test_bad_amendments_are_refused(client, live, events_of, text, reason, message):
    note(client, live, "Original text.")
    seq = events_of(live)[-1][3]
    resp = amend(client, live, seq, text, reason)
    assert message in messages_after(client, resp)
    assert "note.amended" not in [e[0] for e in events_of(live)]


def test_only_a_note_of_this_contact_can_be_amended(client, live, events_of):
    resp = amend(client, live, 1, "new", "typo")  # seq 1 is contact.opened, not a note
    assert "no such note" in messages_after(client, resp)
    resp = amend(client, live, 999, "new", "typo")
    assert "no such note" in messages_after(client, resp)
    assert "note.amended" not in [e[0] for e in events_of(live)]


def test_a_double_submitted_amendment_is_recorded_once(client, live, events_of):
    note(client, live, "Original.")
    seq = events_of(live)[-1][3]
    amend(client, live, seq, "Fixed.", "typo", form_token="amend-form")
    resp = amend(client, live, seq, "Fixed.", "typo", form_token="amend-form")
    assert "already saved" in messages_after(client, resp)
    assert [e[0] for e in events_of(live)].count("note.amended") == 1


def test_an_amendment_after_closing_is_allowed(client, live, events_of):
    note(client, live, "Before close.")
    seq = events_of(live)[-1][3]
    post(client, live, "close", outcome="resolved", resolved="yes")
    amend(client, live, seq, "Before close (corrected).", "typo")
    assert events_of(live)[-1][0] == "note.amended"


# --- history: the next learner on the same customer --------------------------------------------------


def test_history_shows_the_learners_own_earlier_notes_only_after_verification_never_anothers(
    app, client, live, make_user, contact_of, events_of
):
    """Issue 14: History shows the learner's own closed contacts only. (It used to show any learner's
    notes on the customer: learner2 now never sees learner1's, even on a customer both contacts name.)"""
    note(client, live, "Earlier contact: balance given, customer paying a builder.", "information-given")
    seq = events_of(live)[-1][3]
    amend(client, live, seq, "Earlier contact: balance given; builder payment Friday.", "clarified")
    post(client, live, "close", outcome="information-given", resolved="yes")

    other = contact_of(make_user("learner2", queue=["missing-refund"]), "missing-refund")
    with app.app_context():
        db.session.get(Contact, other).customer_id = db.session.get(Contact, live).customer_id
        db.session.commit()
    tab = signed_in(app, "learner2")
    tab.post(f"/learner/contacts/{other}/open")
    take_and_find(tab, other, customer_of(app, other))
    html = page(tab, other)
    assert "Earlier contact" not in html
    assert "shown once the caller passes verification" in html
    verify(tab, app, other)
    html = page(tab, other)
    assert "Earlier contact" not in html and f"sandbox contact #{live}" not in html  # another learner's
    assert "note.added" not in [e[0] for e in events_of(other)]

    with app.app_context():  # learner1's own next contact with the customer
        learner1 = db.session.get(Contact, live).learner_id
        again = contact_of(learner1, "change-of-address")
        db.session.get(Contact, again).customer_id = db.session.get(Contact, live).customer_id
        db.session.commit()
    client.post(f"/learner/contacts/{again}/open")
    take_and_find(client, again, customer_of(app, again))
    assert "Earlier contact" not in page(client, again)
    verify(client, app, again)
    html = page(client, again)
    assert "Earlier contact: balance given; builder payment Friday." in html
    assert f"sandbox contact #{live}" in html


def test_history_is_hidden_again_on_a_new_contact_until_verified(app, client, live, contact_of, events_of):
    note(client, live, "First contact note.")
    verify(client, app, live)
    with app.app_context():
        learner = db.session.get(Contact, live).learner_id
        second = contact_of(learner, "change-of-address")
        db.session.get(Contact, second).customer_id = db.session.get(Contact, live).customer_id
        db.session.commit()
    client.post(f"/learner/contacts/{second}/open")
    take_and_find(client, second, customer_of(app, second))
    assert "First contact note." not in page(client, second)
