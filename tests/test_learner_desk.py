"""The learner desk: identity verification gates every account detail, and every step is evidence."""

import re
from datetime import date
from pathlib import Path

import pytest

from crm_sandbox.extensions import db
from crm_sandbox.formatting import money
from crm_sandbox.models import Contact
from crm_sandbox.operations.desk.identity import memorable_positions
from tests.conftest import flashes
from tests.helpers import messages_after, signed_in

SCENARIOS = ["balance-enquiry", "change-of-address"]


@pytest.fixture
def desk(app, make_user, login, contact_of):
    """learner1 signed in, with a queue of two contacts; returns facts about the first contact."""
    learner_id = make_user("learner1", queue=SCENARIOS)
    login("learner1")
    contact_id = contact_of(learner_id, "balance-enquiry")
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        c = contact.customer
        facts = {
            "learner_id": learner_id,
            "contact_id": contact_id,
            "customer_id": c.id,
            "other_contact_id": contact_of(learner_id, "change-of-address"),
            "last_name": c.last_name,
            "postcode": c.postcode,
            "dob": c.date_of_birth,
            "account_number": c.account_number,
            "sort_code": c.sort_code,
            "email": c.email,
            "phone": c.phone,
            "address_line1": c.address_line1,
            "balance": c.balance,
            "word": c.memorable_word,
        }
    return facts


def secret_values(f: dict) -> list[str]:
    """The account details as the desk displays them (UK date, pounds)."""
    return [
        date.fromisoformat(f["dob"]).strftime("%d/%m/%Y"),
        f["address_line1"],
        f["email"],
        f["phone"],
        f["account_number"],
        f["sort_code"],
        money(f["balance"]),
        f["postcode"],
    ]


def raw_secret_values(f: dict) -> list[str]:
    """The same details as stored: none may leak in any form before verification."""
    return [f["dob"], f["balance"]] + secret_values(f)


def open_record(client, f, contact_key="contact_id"):
    cid = f[contact_key]
    client.post(f"/learner/contacts/{cid}/open")
    client.post(f"/learner/contacts/{cid}/search", data={"query": f["last_name"]})
    return client.post(f"/learner/contacts/{cid}/customers/{f['customer_id']}/view")


def answer(client, f, factor, given, contact_key="contact_id", **extra):
    return client.post(
        f"/learner/contacts/{f[contact_key]}/verify",
        data={"customer_id": f["customer_id"], "factor": factor, "answer": given, **extra},
    )


def pass_verification(client, f, contact_key="contact_id"):
    d = date.fromisoformat(f["dob"])
    answer(client, f, "date_of_birth", d.strftime("%d %B %Y"), contact_key)
    answer(client, f, "postcode", f["postcode"].lower().replace(" ", ""), contact_key)


def page(client, f, contact_key="contact_id") -> str:
    resp = client.get(f"/learner/contacts/{f[contact_key]}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_queue_lists_the_learners_contacts(client, desk):
    """Neutral entries: the channel and how long the customer has waited, never the scenario's title,
    reason or purpose (a fair test does not give itself away; tests/browser/test_fair_test.py checks
    every page)."""
    html = client.get("/learner/").get_data(as_text=True)
    assert html.count("Inbound chat") == 2 and html.count("under a minute") == 2
    for gives_away in ("Balance enquiry", "Change of address", "balance-enquiry", "moved house", "current balance"):
        assert gives_away not in html
    # One click takes a queued contact: its row's Take button posts to open it (and the desk follows).
    assert f'action="/learner/contacts/{desk["contact_id"]}/open"' in html


def test_badges_read_in_sentence_case(app, client, desk, make_user, cohort):
    """Labels come from codes through one filter, in sentence case; no stylesheet turns them into
    title case ("Change Of Address")."""
    html = client.get("/learner/").get_data(as_text=True)
    assert '<span class="status status-queued">Queued</span>' in html
    assert '<span class="channel channel-chat">Chat</span>' in html
    assert '<span class="role-badge">Learner</span>' in html
    assert client.post(f"/learner/contacts/{desk['contact_id']}/open").status_code == 303
    assert 'id="contact-status">Live</span>' in page(client, desk)
    make_user("trainer1", "trainer", in_cohort=False)
    trainer = signed_in(app, "trainer1")
    assigned = trainer.get(f"/trainer/cohorts/{cohort}").get_data(as_text=True)  # titles in status badges
    assert re.search(r'<span class="status status-queued"[^>]*>\d\. Change of address</span>', assigned)
    for sheet in Path(app.static_folder, "css").glob("*.css"):
        assert "capitalize" not in sheet.read_text(encoding="utf-8"), sheet.name


def test_record_is_masked_before_verification(client, desk):
    open_record(client, desk)
    html = page(client, desk)
    assert desk["last_name"] in html  # the name is shown, to pick the right record
    for value in raw_secret_values(desk):
        assert value not in html, f"{value!r} disclosed before verification"
    assert "Not verified" in html


def test_search_results_show_only_what_identifies_the_record(client, desk):
    client.post(f"/learner/contacts/{desk['contact_id']}/open")
    client.post(f"/learner/contacts/{desk['contact_id']}/search", data={"query": desk["last_name"]})
    html = page(client, desk)
    assert desk["last_name"] in html
    for value in secret_values(desk):
        assert value not in html


def test_record_unlocks_after_verification_for_this_contact_only(client, desk):
    open_record(client, desk)
    pass_verification(client, desk)
    html = page(client, desk)
    assert "Verified" in html
    for value in secret_values(desk):
        assert value in html, f"{value!r} not shown after verification"
    # The same customer opened on another contact is masked again.
    other = dict(desk)
    with client.application.app_context():
        db.session.get(Contact, desk["other_contact_id"]).customer_id = desk["customer_id"]
        db.session.commit()
    open_record(client, other, "other_contact_id")
    html = page(client, other, "other_contact_id")
    for value in secret_values(desk):
        assert value not in html


def test_wrong_answers_keep_the_record_masked_and_lock_after_the_policy_limit(client, desk, events_of):
    open_record(client, desk)
    for _ in range(2):
        resp = answer(client, desk, "postcode", "ZZ9 9ZZ")
        assert "No match" in messages_after(client, resp)
    answer(client, desk, "account_number_last4", "0000" if not desk["account_number"].endswith("0000") else "1111")
    html = page(client, desk)
    assert "Locked" in html and "Next step" in html
    for value in secret_values(desk):
        assert value not in html
    # Locked: even a right answer now is refused and not recorded.
    before = len(events_of(desk["contact_id"]))
    resp = answer(client, desk, "postcode", desk["postcode"])
    assert "locked" in messages_after(client, resp).lower()
    assert len(events_of(desk["contact_id"])) == before
    types = [e[0] for e in events_of(desk["contact_id"])]
    assert types.count("idv.answer") == 3 and types[-1] == "idv.result"
    assert events_of(desk["contact_id"])[-1][1] == {"passed": False, "reason": "locked"}


def test_memorable_word_characters_are_checked(client, desk):
    open_record(client, desk)
    a, b = memorable_positions(desk["contact_id"], desk["word"])
    answer(client, desk, "memorable_word_characters", f"{desk['word'][a - 1].upper()}, {desk['word'][b - 1]}")
    answer(client, desk, "account_number_last4", desk["account_number"][-4:])
    assert "Verified" in page(client, desk)


def test_journey_events_are_recorded_in_order_with_timestamps(client, desk, events_of):
    open_record(client, desk)
    answer(client, desk, "postcode", "AB1 2CD")
    pass_verification(client, desk)
    events = events_of(desk["contact_id"])
    assert [e[0] for e in events] == [
        "contact.opened",
        "message.received",
        "customer.searched",
        "customer.viewed",
        "idv.answer",
        "idv.answer",
        "idv.answer",
        "idv.result",
        "customer.viewed",
    ]
    assert [e[3] for e in events] == list(range(1, 10))
    assert events[1][4] == "caller" and events[1][1]["text"]
    events = events[:1] + events[2:]  # the rest are the learner's steps
    times = [e[2] for e in events]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    assert events[1][1]["query"] == desk["last_name"]
    # The search records which records it listed, by id and reference only (no names copied).
    shown = events[1][1]["results"]
    assert desk["customer_id"] in [hit["id"] for hit in shown]
    assert all(set(hit) == {"id", "ref"} for hit in shown)
    assert events[2][1]["verified"] is False and "balance" not in events[2][1]["fields"]
    assert events[3][1]["factor"] == "postcode" and events[3][1]["match"] is False
    assert events[6][1] == {"passed": True}
    assert events[7][1]["verified"] is True and "balance" in events[7][1]["fields"]
    assert {e[4] for e in events[:6]} == {"learner"} and events[6][4] == "system"


def test_the_desk_lists_the_records_the_search_recorded(app, client, desk):
    """The results come from the event (by id), not from searching again on every page load."""
    from crm_sandbox.database import write_transaction
    from crm_sandbox.events.append import append_event

    client.post(f"/learner/contacts/{desk['contact_id']}/open")
    with app.app_context():
        other = db.session.get(Contact, desk["other_contact_id"]).customer
        other_name, other_id, other_ref = f"{other.title} {other.first_name} {other.last_name}", other.id, other.ref
        with write_transaction():  # a query that matches nobody, recorded with one listed record
            append_event(
                db.session.get(Contact, desk["contact_id"]),
                "customer.searched",
                {"query": "Nobodyhere", "results": [{"id": other_id, "ref": other_ref}]},
                actor="learner",
                user_id=desk["learner_id"],
            )
    html = page(client, desk)
    assert other_name in html
    assert f"/learner/contacts/{desk['contact_id']}/customers/{other_id}/view" in html
    assert "No customer matches" not in html


def test_each_listed_record_has_its_own_one_time_token(app, client, desk, events_of):
    """Two results clicked from the same page both open; the same button sent twice opens once."""
    import re

    from crm_sandbox.database import write_transaction
    from crm_sandbox.events.append import append_event

    client.post(f"/learner/contacts/{desk['contact_id']}/open")
    with app.app_context():
        other = db.session.get(Contact, desk["other_contact_id"]).customer
        other_id = other.id
        listed = [{"id": desk["customer_id"], "ref": "a"}, {"id": other_id, "ref": other.ref}]
        with write_transaction():
            append_event(
                db.session.get(Contact, desk["contact_id"]),
                "customer.searched",
                {"query": desk["last_name"], "results": listed},
                actor="learner",
                user_id=desk["learner_id"],
            )
    buttons = dict(re.findall(r'formaction="([^"]+/view)" name="form_token" value="([^"]+)"', page(client, desk)))
    assert len(buttons) == 2 and len(set(buttons.values())) == 2
    for action, token in [*buttons.items(), next(iter(buttons.items()))]:  # the first one twice
        client.post(action, data={"form_token": token})
    viewed = [e[1]["customer_id"] for e in events_of(desk["contact_id"]) if e[0] == "customer.viewed"]
    assert viewed == [desk["customer_id"], other_id]


def test_exports_name_searched_records_by_reference(app, client, desk):
    from crm_sandbox.queries.session_export import session_document

    open_record(client, desk)
    with app.app_context():
        contact = db.session.get(Contact, desk["contact_id"])
        searched = [e for e in session_document(contact)["events"] if e["type"] == "customer.searched"][0]
        assert contact.customer.ref in searched["data"]["results"]
        assert all(isinstance(r, str) and r.startswith("cust-") for r in searched["data"]["results"])


def test_a_search_recorded_without_results_is_searched_again(app, client, desk):
    """Events recorded before searches kept their results still show results."""
    from crm_sandbox.database import write_transaction
    from crm_sandbox.events.append import append_event

    client.post(f"/learner/contacts/{desk['contact_id']}/open")
    with app.app_context(), write_transaction():
        contact = db.session.get(Contact, desk["contact_id"])
        append_event(
            contact, "customer.searched", {"query": desk["last_name"]}, actor="learner", user_id=desk["learner_id"]
        )
    assert f"/customers/{desk['customer_id']}/view" in page(client, desk)


def test_bad_searches_get_clear_messages_and_record_nothing(client, desk, events_of):
    client.post(f"/learner/contacts/{desk['contact_id']}/open")
    for query in ["", "   ", "x" * 10_000]:
        resp = client.post(f"/learner/contacts/{desk['contact_id']}/search", data={"query": query})
        assert resp.status_code == 422  # the desk again, with the message and the query as typed
        html = resp.get_data(as_text=True)
        assert "search" in " ".join(flashes(html)).lower() and f'value="{query}"' in html
    assert [e[0] for e in events_of(desk["contact_id"])] == ["contact.opened", "message.received"]


def test_unknown_customer_is_404_and_records_nothing(client, desk, events_of):
    client.post(f"/learner/contacts/{desk['contact_id']}/open")
    resp = client.post(f"/learner/contacts/{desk['contact_id']}/customers/999999/view")
    assert resp.status_code == 404
    assert "no such customer" in resp.get_data(as_text=True)
    assert [e[0] for e in events_of(desk["contact_id"])] == ["contact.opened", "message.received"]


def test_verification_runs_against_the_open_record_and_never_an_unopened_one(app, client, desk, events_of):
    """A record that is not the caller's is verified like any other (against what it holds): the
    caller's true answers do not match it, and nothing on the desk says it is the wrong record. A
    record never opened on the contact cannot be verified against."""
    open_record(client, desk)
    with app.app_context():
        other = db.session.get(Contact, desk["other_contact_id"]).customer
        other_id, other_postcode = other.id, other.postcode
    resp = client.post(
        f"/learner/contacts/{desk['contact_id']}/verify",
        data={"customer_id": other_id, "factor": "postcode", "answer": desk["postcode"]},
    )
    assert "record on this contact before verifying" in messages_after(client, resp)
    assert "idv.answer" not in [e[0] for e in events_of(desk["contact_id"])]

    client.post(f"/learner/contacts/{desk['contact_id']}/customers/{other_id}/view")
    html = page(client, desk)
    assert "not the account the caller" not in html and "caller named" not in html
    assert 'name="answer"' in html  # the same ID&V panel as on the caller's record
    resp = client.post(
        f"/learner/contacts/{desk['contact_id']}/verify",
        data={"customer_id": other_id, "factor": "postcode", "answer": f"It's {desk['postcode']}."},
    )
    assert "No match" in messages_after(client, resp)
    answers = [e[1] for e in events_of(desk["contact_id"]) if e[0] == "idv.answer"]
    assert answers == [
        {
            "factor": "postcode",
            "given": f"It's {desk['postcode']}.",
            "read": desk["postcode"],
            "match": desk["postcode"] == other_postcode,
            "customer_id": other_id,
        }
    ]


def test_a_replayed_verification_post_is_recorded_once(client, desk, events_of):
    open_record(client, desk)
    for _ in range(2):
        answer(client, desk, "postcode", "AB1 2CD", form_token="same-form")
    assert [e[0] for e in events_of(desk["contact_id"])].count("idv.answer") == 1


def test_a_correct_factor_cannot_be_answered_twice(client, desk, events_of):
    open_record(client, desk)
    answer(client, desk, "postcode", desk["postcode"])
    resp = answer(client, desk, "postcode", desk["postcode"])
    assert "already been answered" in messages_after(client, resp)
    assert [e[0] for e in events_of(desk["contact_id"])].count("idv.answer") == 1


def test_unknown_factor_and_empty_or_huge_answers_are_refused(client, desk, events_of):
    open_record(client, desk)
    for factor, given in [("shoe_size", "9"), ("postcode", ""), ("postcode", "x" * 5000)]:
        answer(client, desk, factor, given)
    assert "idv.answer" not in [e[0] for e in events_of(desk["contact_id"])]


def test_actions_before_taking_the_contact_are_refused(client, desk, events_of):
    resp = client.post(f"/learner/contacts/{desk['contact_id']}/search", data={"query": "Smith"})
    assert "Open the contact" in messages_after(client, resp)
    assert events_of(desk["contact_id"]) == []


def test_opening_twice_records_one_event(client, desk, events_of):
    client.post(f"/learner/contacts/{desk['contact_id']}/open")
    client.post(f"/learner/contacts/{desk['contact_id']}/open")
    assert [e[0] for e in events_of(desk["contact_id"])] == ["contact.opened", "message.received"]


def test_another_learners_contact_is_forbidden(client, desk, make_user, login, contact_of):
    other = make_user("learner2", queue=["balance-enquiry"])
    theirs = contact_of(other, "balance-enquiry")
    assert client.get(f"/learner/contacts/{theirs}").status_code == 403
    assert client.post(f"/learner/contacts/{theirs}/open").status_code == 403


def test_unknown_contact_is_404(client, desk):
    assert client.get("/learner/contacts/424242").status_code == 404


def test_compare_mode_shows_the_stored_answers_on_the_panel(app, client, desk):
    with app.app_context():
        cohort = db.session.get(Contact, desk["contact_id"]).cohort
        cohort.policy = {**cohort.policy, "panel_mode": "compare"}  # copied into the contact when opened
        db.session.commit()
    open_record(client, desk)
    html = page(client, desk)
    assert "On file: " + desk["postcode"] in html


def test_a_customer_id_too_long_for_the_database_is_refused_plainly(client, desk, events_of):
    """A forged record id longer than a database integer (or not a number at all): a message, never a 500."""
    for junk in ("99999999999999999999999", "\u00b2", ""):
        resp = client.post(
            f"/learner/contacts/{desk['contact_id']}/verify",
            data={"customer_id": junk, "factor": "postcode", "answer": desk["postcode"]},
        )
        assert resp.status_code == 303
        assert "customer record before verifying" in messages_after(client, resp)
    assert "idv.answer" not in [e[0] for e in events_of(desk["contact_id"])]
