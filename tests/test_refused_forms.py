"""A refused desk form comes back with what the learner typed in it and a clear message: nothing typed
is lost to a mistake, nothing refused is recorded, and what is shown again is shown as text."""

import html as html_lib
import re

import pytest

from tests.conftest import flashes
from tests.helpers import customer_of, messages_after, page, post, verify

SCENARIO = "missing-refund"


@pytest.fixture
def live(app, client, make_user, login, contact_of):
    """learner1 signed in, the contact taken and the caller verified; returns the contact id."""
    learner = make_user("learner1", queue=[SCENARIO])
    login("learner1")
    cid = contact_of(learner, SCENARIO)
    verify(client, app, cid, second="account_number_last4")
    return cid


def refused(resp) -> str:
    """The desk page shown again after a refused form (422, not a redirect)."""
    assert resp.status_code == 422, resp.status_code
    return resp.get_data(as_text=True)


def textarea(html: str, id_: str) -> str:
    found = re.search(rf'<textarea id="{id_}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, f"no textarea #{id_}"
    return html_lib.unescape(found.group(1))


def input_value(html: str, id_: str) -> str:
    found = re.search(rf'<input id="{id_}"[^>]*?value="([^"]*)"', html, re.S)
    assert found, f"no value in input #{id_}"
    return html_lib.unescape(found.group(1))


def inline_error(html: str) -> str:
    found = re.search(r'<p class="field-error form-error" id="refused-error">(.*?)</p>', html, re.S)
    assert found, "no message beside the refused form"
    return html_lib.unescape(found.group(1))


def test_a_note_over_the_limit_keeps_what_was_typed(client, live, events_of):
    typed = "Customer says the refund promised three weeks ago never arrived.\n" * 70  # over 4,000 characters
    html = refused(post(client, live, "notes", text=typed, outcome="complaint-raised"))
    assert textarea(html, "note-text") == typed
    assert 'value="complaint-raised" selected' in html
    message = inline_error(html)
    assert "too long" in message and "4,000" in message and message in flashes(html)
    assert "note.added" not in [e[0] for e in events_of(live)]
    # Trimmed to fit, the same note is saved from the page shown again.
    assert "Note saved" in messages_after(client, post(client, live, "notes", text=typed[:3900]))


def test_a_wrong_postcode_keeps_the_field_and_the_value(app, client, live, events_of):
    before, count = customer_of(app, live), len(events_of(live))
    html = refused(post(client, live, "details", field="postcode", value="LS1 4A"))
    assert input_value(html, "detail-value") == "LS1 4A"
    assert '<option value="postcode" selected>' in html
    assert 'id="action-details" open' in html  # the form is open where the learner left it
    assert "not a UK postcode (for example LS1 4AP)" in inline_error(html)
    assert customer_of(app, live) == before and len(events_of(live)) == count


def test_a_refused_refund_keeps_amount_reason_kind_and_override(client, live):
    html = refused(
        post(client, live, "refund", amount="12.345", kind="goodwill", reason="Apology for the delay", over_limit="yes")
    )
    assert input_value(html, "refund-amount") == "12.345"
    assert input_value(html, "refund-reason") == "Apology for the delay"
    assert '<option value="goodwill" selected>' in html
    assert re.search(r'name="over_limit" value="yes" checked', html)
    assert "two decimal places" in inline_error(html)


def test_a_refused_complaint_keeps_its_investigation_and_remedy(client, live):
    html = refused(
        post(
            client,
            live,
            "complaint",
            summary=" ",
            investigation="Checked the ledger",
            remedy="Refund the fee",
            outcome_communicated="yes",
        )
    )
    assert textarea(html, "complaint-investigation") == "Checked the ledger"
    assert textarea(html, "complaint-remedy") == "Refund the fee"
    assert "complaint summary is empty" in inline_error(html)


def test_a_refused_amendment_keeps_the_new_text(client, live, events_of):
    post(client, live, "notes", text="Customer wants a refund.")
    seq = events_of(live)[-1][3]
    html = refused(post(client, live, f"notes/{seq}/amend", text="Customer wants the £35.00 fee refunded.", reason=" "))
    assert textarea(html, f"amend-text-{seq}") == "Customer wants the £35.00 fee refunded."
    assert "reason for the amendment is empty" in inline_error(html)


def test_a_refused_wrap_up_keeps_the_choices(client, live, events_of):
    html = refused(post(client, live, "close", outcome="resolved", resolved="maybe"))
    assert '<option value="resolved" selected>' in html
    assert "resolved at first contact" in inline_error(html)
    assert "contact.closed" not in [e[0] for e in events_of(live)]


def test_a_message_sent_without_the_script_keeps_its_text(client, live):
    html = refused(post(client, live, "messages", text="Hello " * 1000))
    assert textarea(html, "text") == "Hello " * 1000
    assert "too long" in html


def test_what_is_shown_again_is_text_not_markup(client, live):
    payload = '</textarea><script>alert(1)</script>"><b>x</b>'
    html = refused(post(client, live, "notes", text=payload * 200))
    assert "<script>alert(1)" not in html and "<b>x</b>" not in html
    assert textarea(html, "note-text") == payload * 200


def test_a_form_refused_for_the_contacts_state_goes_to_a_fresh_page(client, live):
    post(client, live, "close", outcome="resolved", resolved="yes")
    resp = post(client, live, "escalate", reason="Too late")
    assert resp.status_code == 303  # the contact changed: the page must show it as it now is
    assert "This contact is closed" in messages_after(client, resp)


def test_the_page_without_a_refused_form_has_empty_forms(client, live):
    html = page(client, live)
    assert 'id="refused-error"' not in html
    assert textarea(html, "note-text") == "" and input_value(html, "detail-value") == ""
