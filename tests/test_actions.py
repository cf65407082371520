"""Actions on the account: each an event, each refused with a clear message where a real CRM would refuse."""

import html
import json
import re
from decimal import Decimal

import pytest

from tests.helpers import FETCH, customer_of, messages_after, page, post, run_together, say, signed_in, verify

SCENARIO = "missing-refund"


@pytest.fixture
def live(app, client, make_user, login, contact_of):
    """learner1 signed in, the contact taken and the caller verified; returns the contact id."""
    learner = make_user("learner1", queue=[SCENARIO])
    login("learner1")
    cid = contact_of(learner, SCENARIO)
    verify(client, app, cid, second="account_number_last4")
    return cid


def types(events_of, cid):
    return [e[0] for e in events_of(cid)]


def balance(app, cid) -> Decimal:
    return Decimal(customer_of(app, cid)["balance"])


def refund(client, cid, amount, kind="refund", reason="Fee refund", **extra):
    return post(client, cid, "refund", amount=amount, kind=kind, reason=reason, **extra)


# --- update contact details --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, stored",
    [
        ("address_line1", "  14 Quillfeather Lane ", "14 Quillfeather Lane"),
        ("address_line2", "", ""),
        ("town", "Brackenford", "Brackenford"),
        ("postcode", "bk73qn", "BK7 3QN"),
        ("email", "New.Address@Example.com", "new.address@example.com"),
        ("phone", "07700900123", "07700 900123"),
        ("phone", "+1 202 555 0100", "+1 202-555-0100"),  # a number abroad keeps its country code
    ],
)
def test_details_are_updated_and_recorded(app, client, live, events_of, field, value, stored):
    before = customer_of(app, live)[field] or ""
    resp = post(client, live, "details", field=field, value=value)
    assert "Record updated" in messages_after(client, resp)
    ev = events_of(live)[-1]
    # The value it replaced is kept with it, so a replay shows the record as it was before.
    expected = {"field": field, "value": stored, "previous": before}
    assert (ev[0], ev[4], ev[1]) == ("record.updated", "learner", expected)
    assert customer_of(app, live)[field] == stored


def test_the_address_is_changed_in_one_form(app, client, live, events_of):
    before = customer_of(app, live)
    resp = post(
        client, live, "details", address_line1="2 Mill Row", address_line2="", town="Brackenford", postcode="bk73qn"
    )
    assert "Address updated" in messages_after(client, resp)
    changed = [e[1] for e in events_of(live) if e[0] == "record.updated"]
    assert {c["field"] for c in changed} == {"address_line1", "town", "postcode"} | (
        {"address_line2"} if before["address_line2"] else set()
    )
    after = customer_of(app, live)
    assert (after["address_line1"], after["town"], after["postcode"]) == ("2 Mill Row", "Brackenford", "BK7 3QN")
    # A bad line refuses the whole form: nothing is half changed.
    resp = post(client, live, "details", address_line1="3 Mill Row", address_line2="", town="X", postcode="nope")
    assert resp.status_code == 422 and "not a UK postcode" in messages_after(client, resp)
    assert customer_of(app, live)["address_line1"] == "2 Mill Row"
    # The same address again changes nothing and says so.
    resp = post(
        client, live, "details", address_line1="2 Mill Row", address_line2="", town="Brackenford", postcode="BK7 3QN"
    )
    assert "nothing was changed" in messages_after(client, resp)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "not-an-email", "not an email address"),
        ("email", "someone@example", "not an email address"),
        ("email", "two words@example.com", "not an email address"),
        ("postcode", "12345", "not a UK postcode"),
        ("postcode", "LS1 4A", "not a UK postcode"),
        ("postcode", "<script>", "not a UK postcode"),
        ("phone", "123", "not a phone number we can dial"),
        ("phone", "call me maybe", "not a phone number we can dial"),
        ("phone", "0" * 40, "not a phone number we can dial"),
        ("phone", "0" * 200, "too long"),
        ("address_line1", "", "Type the new address line 1"),
        ("address_line1", "x" * 20_000, "too long"),
        ("balance", "1000000", "cannot be changed"),
        ("date_of_birth", "1990-01-01", "cannot be changed"),
    ],
)
def test_invalid_details_are_refused_and_nothing_changes(app, client, live, events_of, field, value, message):
    before, count = customer_of(app, live), len(events_of(live))
    resp = post(client, live, "details", field=field, value=value)
    assert message in messages_after(client, resp)
    assert customer_of(app, live) == before and len(events_of(live)) == count


# --- refunds and goodwill credits --------------------------------------------------------------------


def test_a_refund_within_authority_is_paid_and_recorded(app, client, live, events_of):
    before = balance(app, live)
    resp = refund(client, live, "£35.00", reason="Unpaid item fee refund")
    assert "Payment made" in messages_after(client, resp)
    ev = events_of(live)[-1]
    assert (ev[0], ev[4], ev[1]) == (
        "refund.issued",
        "learner",
        {"amount": 35.0, "kind": "refund", "reason": "Unpaid item fee refund"},
    )
    assert balance(app, live) == before + Decimal("35.00")
    assert "Refund of £35.00" in page(client, live)


def test_amounts_read_as_money_on_the_desk_timeline_and_report(app, client, live, events_of, make_user):
    resp = refund(client, live, "5000", reason="Duplicate standing order", over_limit="yes")
    assert "Payment made" in messages_after(client, resp)
    assert events_of(live)[-1][1]["amount"] == 5000.0  # stored as before; only the display changes
    desk = page(client, live)
    assert "Refund of £5,000.00" in desk and "£5000.0" not in desk
    offered = json.loads(html.unescape(re.search(r'data-values="([^"]*)"', desk).group(1)))
    assert offered["{amount}"] == "£5,000.00"  # for the refund canned response's placeholder
    assert "above your authority limit of £50.00" in messages_after(client, refund(client, live, "1234.5"))
    post(client, live, "close", outcome="resolved", resolved="yes")
    make_user("assessor1", "assessor")
    assessor = signed_in(app, "assessor1")
    review = assessor.get(f"/assessor/contacts/{live}/review").get_data(as_text=True)
    assert "Refund of £5,000.00, above the authority limit" in review and "5000.0" not in review
    report = assessor.get(f"/reports/contacts/{live}").get_data(as_text=True)
    assert "Refund of £5,000.00, above the authority limit\nDuplicate standing order" in report


def test_a_goodwill_credit_is_recorded_as_such(app, client, live, events_of):
    refund(client, live, "10", kind="goodwill", reason="Apology for the delay")
    assert events_of(live)[-1][1]["kind"] == "goodwill"


@pytest.mark.parametrize(
    "amount, message",
    [
        ("", "Type the amount in pounds"),
        ("abc", "Type the amount in pounds"),
        ("12,34.5.6", "Type the amount in pounds"),
        ("-5", "more than £0"),
        ("0", "more than £0"),
        ("0.00", "more than £0"),
        ("NaN", "Type the amount in pounds"),
        ("sNaN", "Type the amount in pounds"),
        ("Infinity", "Type the amount in pounds"),
        ("-Infinity", "Type the amount in pounds"),
        ("12.345", "two decimal places"),
        ("1e-5", "two decimal places"),
        ("1e9", "cannot pay more than"),
        ("1e30", "cannot pay more than"),
        ("9" * 60, "cannot pay more than"),
        ("1" * 5000, "cannot pay more than"),
    ],
)
def test_bad_refund_amounts_are_refused_with_a_clear_message(app, client, live, events_of, amount, message):
    before, count = balance(app, live), len(events_of(live))
    resp = refund(client, live, amount, over_limit="yes")  # even with the over-limit box ticked
    assert message in messages_after(client, resp)
    assert balance(app, live) == before and len(events_of(live)) == count


def test_bad_refund_amounts_via_fetch_get_json_errors(client, live):
    resp = client.post(
        f"/learner/contacts/{live}/refund", headers=FETCH, data={"amount": "1e30", "kind": "refund", "reason": "x"}
    )
    assert resp.status_code == 400 and resp.get_json()["ok"] is False


def test_refund_kind_and_reason_are_required(app, client, live, events_of):
    assert "Choose a refund or a goodwill credit" in messages_after(client, refund(client, live, "5", kind="cash"))
    assert "reason is empty" in messages_after(client, refund(client, live, "5", reason="  "))
    assert "refund.issued" not in types(events_of, live)


def test_a_refund_above_the_authority_limit_needs_the_override(app, client, live, events_of):
    before = balance(app, live)
    resp = refund(client, live, "180.00", reason="Duplicate annual fee")
    assert "above your authority limit of £50.00" in messages_after(client, resp)
    assert "refund.issued" not in types(events_of, live) and balance(app, live) == before
    resp = refund(client, live, "180.00", reason="Duplicate annual fee", over_limit="yes")
    assert "Payment made" in messages_after(client, resp)
    ev = events_of(live)[-1]
    assert ev[0] == "refund.issued" and ev[1]["amount"] == 180.0
    assert ev[1]["over_limit"] is True  # the override is part of the evidence
    assert balance(app, live) == before + Decimal("180.00")


def test_a_refund_at_the_limit_needs_no_override(client, live, events_of):
    refund(client, live, "50.00")
    ev = events_of(live)[-1]
    assert ev[0] == "refund.issued" and "over_limit" not in ev[1]


def test_a_double_submitted_refund_is_paid_once(app, client, live, events_of):
    before = balance(app, live)
    refund(client, live, "20.00", form_token="refund-form")
    resp = refund(client, live, "20.00", form_token="refund-form")
    assert "already sent" in messages_after(client, resp)
    assert types(events_of, live).count("refund.issued") == 1
    assert balance(app, live) == before + Decimal("20.00")


# --- complaints and escalation -----------------------------------------------------------------------


def test_a_complaint_is_logged_with_investigation_and_remedy(client, live, events_of):
    resp = post(
        client,
        live,
        "complaint",
        summary="Refund promised and not paid",
        investigation="No refund on file",
        remedy="Refund now",
        outcome_communicated="yes",
    )
    assert "Complaint logged" in messages_after(client, resp)
    ev = events_of(live)[-1]
    assert (ev[0], ev[4], ev[1]) == (
        "complaint.raised",
        "learner",
        {
            "summary": "Refund promised and not paid",
            "investigation": "No refund on file",
            "remedy": "Refund now",
            "outcome_communicated": True,
        },
    )


def test_a_complaint_needs_a_summary(client, live, events_of):
    for summary in ("", "s" * 20_000):
        post(client, live, "complaint", summary=summary)
    assert "complaint.raised" not in types(events_of, live)


def test_escalation_needs_a_reason(client, live, events_of):
    assert "reason for escalating is empty" in messages_after(client, post(client, live, "escalate", reason=" "))
    assert "too long" in messages_after(client, post(client, live, "escalate", reason="r" * 20_000))
    resp = post(client, live, "escalate", reason="Above my authority")
    ev = events_of(live)[-1]
    assert (ev[0], ev[4], ev[1]) == ("escalated", "learner", {"reason": "Above my authority"})
    assert f"The reference is ESC-{live:05d}-{ev[3]:02d}: give it to the customer." in messages_after(client, resp)


# --- closing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outcome, resolved, message",
    [
        ("", "yes", "Choose an outcome code"),
        ("made-up", "yes", "Choose an outcome code"),
        ("resolved", "", "resolved at first contact"),
        ("resolved", "maybe", "resolved at first contact"),
    ],
)
def test_closing_needs_an_outcome_and_resolved(app, client, live, events_of, outcome, resolved, message):
    resp = post(client, live, "close", outcome=outcome, resolved=resolved)
    assert message in messages_after(client, resp)
    assert "contact.closed" not in types(events_of, live)


def test_closing_twice_records_one_close(app, client, live, events_of):
    assert "Contact closed" in messages_after(client, post(client, live, "close", outcome="resolved", resolved="yes"))
    resp = post(client, live, "close", outcome="escalated", resolved="no")
    assert "closed" in messages_after(client, resp)
    closes = [e for e in events_of(live) if e[0] == "contact.closed"]
    assert len(closes) == 1 and closes[0][1] == {"outcome": "resolved", "resolved": True}


CLOSED_ACTIONS = [
    ("messages", {"text": "Hello again"}),
    ("details", {"field": "email", "value": "late@example.com"}),
    ("refund", {"amount": "5.00", "kind": "refund", "reason": "late"}),
    ("complaint", {"summary": "late complaint"}),
    ("escalate", {"reason": "late escalation"}),
    ("close", {"outcome": "resolved", "resolved": "yes"}),
    ("search", {"query": "Smith"}),
    ("verify", {"customer_id": "1", "factor": "postcode", "answer": "AB1 2CD"}),
]


@pytest.mark.parametrize("action, data", CLOSED_ACTIONS, ids=[a for a, _ in CLOSED_ACTIONS])
def test_actions_on_a_closed_contact_are_refused(app, client, live, events_of, action, data):
    post(client, live, "close", outcome="resolved", resolved="yes")
    if action == "verify":
        data = {**data, "customer_id": str(customer_of(app, live)["id"])}
    before, count = customer_of(app, live), len(events_of(live))
    resp = post(client, live, action, **data)
    assert "This contact is closed: only notes can be added now." in messages_after(client, resp)
    assert customer_of(app, live) == before and len(events_of(live)) == count
    fetched = client.post(f"/learner/contacts/{live}/{action}", headers=FETCH, data=data)
    assert fetched.status_code == 409 and "closed" in fetched.get_json()["error"]
    assert len(events_of(live)) == count


def test_viewing_a_record_on_a_closed_contact_is_refused(app, client, live, events_of):
    post(client, live, "close", outcome="resolved", resolved="yes")
    count = len(events_of(live))
    resp = post(client, live, f"customers/{customer_of(app, live)['id']}/view")
    assert "closed" in messages_after(client, resp)
    assert len(events_of(live)) == count


def test_a_closed_contact_offers_no_action_forms(client, live):
    post(client, live, "close", outcome="resolved", resolved="yes")
    html = page(client, live)
    assert 'id="wrapup"' not in html and 'id="composer"' not in html and 'id="note-form"' in html


# --- two tabs on one contact -------------------------------------------------------------------------


def second_tab(app):
    return signed_in(app, "learner1")


def test_a_contact_closed_in_one_tab_refuses_actions_from_the_other(app, client, live, events_of):
    tab = second_tab(app)
    page(tab, live)  # the second tab has the workspace open
    post(client, live, "close", outcome="resolved", resolved="yes")
    before = balance(app, live)
    resp = refund(tab, live, "5.00")
    assert "closed" in messages_after(tab, resp)
    assert "closed" in messages_after(tab, post(tab, live, "close", outcome="escalated", resolved="no"))
    assert balance(app, live) == before and types(events_of, live).count("contact.closed") == 1
    assert "Note saved" in messages_after(tab, post(tab, live, "notes", text="Wrap-up note from the other tab"))


def test_two_tabs_acting_at_once_lose_nothing(app, client, live, events_of):
    tabs = [client, second_tab(app)]
    count, before = len(events_of(live)), balance(app, live)

    def work(tab, name):
        for i in range(5):
            assert refund(tab, live, "1.00", reason=f"{name}{i}").status_code == 303
            assert post(tab, live, "notes", text=f"note {name}{i}").status_code == 303
            assert say(tab, live, f"update {name}{i}").status_code == 303

    run_together(work, list(zip(tabs, "AB")))
    events = events_of(live)
    assert [e[3] for e in events] == list(range(1, len(events) + 1))
    new = events[count:]
    assert sorted(e[1]["reason"] for e in new if e[0] == "refund.issued") == sorted(
        f"{n}{i}" for n in "AB" for i in range(5)
    )
    assert len([e for e in new if e[0] == "note.added"]) == 10
    assert len([e for e in new if e[0] == "message.sent"]) == 10
    assert len([e for e in new if e[0] == "message.received"]) == 10
    assert balance(app, live) == before + Decimal("10.00")  # no lost update on the balance


def test_the_value_a_change_replaced_is_masked_like_the_value(app, client, live, events_of):
    """A card number typed into a detail is masked in the event; changing that detail again keeps the
    value it replaced masked too (``previous``, PCI DSS 3.4.1)."""
    post(client, live, "details", field="address_line1", value="4111 1111 1111 1111")
    post(client, live, "details", field="address_line1", value="5 Mill Row")
    first, second = [e[1] for e in events_of(live) if e[0] == "record.updated"][-2:]
    assert "4111 1111 1111 1111" not in str(first) and "4111 1111 1111 1111" not in str(second)
    assert second["previous"] == first["value"] and "card_data" in first
    assert "card_data" not in second  # flagged once, on the change that typed it
