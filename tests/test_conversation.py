"""The conversation pane: messages by channel, scripted replies, canned responses, live updates, the KB."""

import html as html_lib
import json
import re

import pytest

from crm_sandbox.extensions import db
from crm_sandbox.formatting import money
from crm_sandbox.models import Contact
from tests.conftest import PASSWORD
from tests.helpers import (
    FETCH,
    caller_texts,
    customer_of,
    kb_search,
    messages_after,
    page,
    post,
    run_together,
    say,
    take_and_find,
    verify,
)

CHAT, EMAIL, PHONE = "balance-enquiry", "subject-access-request", "vulnerable-health-disclosure"


@pytest.fixture
def desk(app, make_user, login, contact_of):
    """learner1 signed in with a chat, an email and a phone contact; returns their ids by channel."""
    learner = make_user("learner1", queue=[CHAT, EMAIL, PHONE])
    login("learner1")
    return {
        "learner": learner,
        "chat": contact_of(learner, CHAT),
        "email": contact_of(learner, EMAIL),
        "phone": contact_of(learner, PHONE),
    }


def taken(client, contact_id):
    client.post(f"/learner/contacts/{contact_id}/open")
    return contact_id


def data_values(html: str) -> dict:
    m = re.search(r"""data-values=(["'])(.*?)\1""", html, re.S)
    assert m, "no placeholder values on the composer"
    return json.loads(html_lib.unescape(m.group(2)))


# --- channels and scripted replies -------------------------------------------------------------------


def test_chat_message_gets_a_scripted_reply_from_the_caller(client, desk, events_of):
    cid = taken(client, desk["chat"])
    say(client, cid, "Hello, how can I help you today?")
    events = events_of(cid)
    assert [(e[0], e[4]) for e in events] == [
        ("contact.opened", "learner"),
        ("message.received", "caller"),
        ("message.sent", "learner"),
        ("message.received", "caller"),
    ]
    assert events[2][1] == {"text": "Hello, how can I help you today?"}
    assert "builder" in events[3][1]["text"] and "subject" not in events[3][1]
    html = page(client, cid)
    assert "Hello, how can I help you today?" in html and "builder" in html


def test_email_thread_carries_subjects(client, desk, events_of):
    cid = taken(client, desk["email"])
    opening = events_of(cid)[1][1]
    # The scenario's subject line is its title, which would give the test away: a neutral one instead.
    assert opening["subject"] == "Email from customer" and opening["text"].startswith("Dear")
    say(client, cid, "Thank you for your email. What is your postcode, please?", subject="Re: Your request")
    sent, reply = events_of(cid)[2][1], events_of(cid)[3][1]
    assert sent["subject"] == "Re: Your request" and reply["subject"] == "Re: Your request"
    assert reply["text"].startswith("Hello,") and "Kind regards" in reply["text"]
    say(client, cid, "Thank you.", subject="   ")  # a blank subject falls back to the opening's subject
    assert events_of(cid)[4][1]["subject"] == "Re: Email from customer"
    html = page(client, cid)
    assert 'class="email-subject">Re: Your request' in html


def test_phone_transcript_records_both_sides(client, desk, events_of):
    cid = taken(client, desk["phone"])
    say(client, cid, "Good morning, you're speaking to Sam. How can I help?")
    events = events_of(cid)
    assert [(e[0], e[4]) for e in events[-2:]] == [("message.sent", "learner"), ("message.received", "caller")]
    assert "signed off work" in events[-1][1]["text"]
    assert "Phone call" in page(client, cid)


def test_a_role_played_caller_gets_no_scripted_reply(app, client, desk, events_of, make_user):
    from crm_sandbox.extensions import db
    from crm_sandbox.models import Contact

    assessor = make_user("assessor1", "assessor")
    with app.app_context():
        db.session.get(Contact, desk["chat"]).role_player_id = assessor
        db.session.commit()
    cid = taken(client, desk["chat"])
    say(client, cid, "Hello, how can I help you today?")
    assert [e[0] for e in events_of(cid)][-1] == "message.sent"


# --- canned responses and placeholders ---------------------------------------------------------------


def test_canned_response_use_is_recorded(client, desk, events_of):
    cid = taken(client, desk["chat"])
    text = "Hello, you're chatting with Sam at Sandbox Bank. How can I help you today?"
    say(client, cid, text, template_id="greeting-chat")
    assert events_of(cid)[2][1] == {"text": text, "template_id": "greeting-chat"}


def test_unknown_canned_response_is_refused_and_nothing_recorded(client, desk, events_of):
    cid = taken(client, desk["chat"])
    resp = say(client, cid, "Hello", template_id="no-such-template")
    assert "canned response does not exist" in messages_after(client, resp)
    assert len(events_of(cid)) == 2


def test_personal_placeholder_values_are_offered_only_after_verification(app, client, desk):
    cid = taken(client, desk["chat"])
    customer = customer_of(app, cid)
    take_and_find(client, cid, customer)
    before = data_values(page(client, cid))
    for token in ("[Customer name]", "[Customer title and surname]", "{balance}", "{address}", "{postcode}"):
        assert token not in before
    assert customer["first_name"] not in json.dumps(before)
    verify(client, app, cid)
    after = data_values(page(client, cid))
    assert after["[Customer name]"] == customer["first_name"]
    assert after["[Customer title and surname]"] == f"{customer['title']} {customer['last_name']}"
    assert after["{balance}"] == money(customer["balance"]) and after["{postcode}"] == customer["postcode"]
    assert after["{address}"].startswith(customer["address_line1"])


def canned_text(app, response_id: str) -> str:
    from crm_sandbox.content.responses import get_response

    return get_response(app.config["SEED_DIR"], response_id).text


def test_a_canned_response_with_every_placeholder_filled_is_sent(app, client, desk, events_of):
    """The desk fills the placeholders it offers when Send is pressed (desk.js); the server takes the
    filled text as it is, with no Fill step of its own."""
    cid = taken(client, desk["chat"])
    customer = verify(client, app, cid)
    offered = data_values(page(client, cid))
    text = canned_text(app, "balance")
    for token in ("[Customer name]", "{balance}"):
        text = text.replace(token, offered[token])
    resp = say(client, cid, text, template_id="balance")
    assert resp.status_code == 303 and "error" not in messages_after(client, resp)
    sent = [e for e in events_of(cid) if e[0] == "message.sent"][-1][1]
    assert sent == {"text": text, "template_id": "balance"}
    assert f"balance on your account is {money(customer['balance'])}." in sent["text"]  # "-£3.00", not "£-3.00"
    assert "[" not in sent["text"] and "{" not in sent["text"]


def test_escalating_gives_a_reference_for_the_canned_response(app, client, desk, events_of):
    cid = taken(client, desk["chat"])
    assert data_values(page(client, cid)).get("[Escalation reference]") is None  # not before escalating
    assert "[Escalation reference]" in canned_text(app, "escalation")
    resp = post(client, cid, "escalate", reason="Customer asked for a manager")
    seq = events_of(cid)[-1][3]
    reference = f"ESC-{cid:05d}-{seq:02d}"
    assert f"The reference is {reference}" in messages_after(client, resp)
    html = page(client, cid)
    assert data_values(html)["[Escalation reference]"] == reference
    assert re.search(
        rf"Escalated to a supervisor, reference <strong[^>]*>{reference}</strong>: Customer asked for a manager", html
    )
    text = (
        canned_text(app, "escalation")
        .replace("[Escalation reference]", reference)
        .replace("[Timescale]", "two working days")
    )
    assert say(client, cid, text, template_id="escalation").status_code == 303
    sent = [e for e in events_of(cid) if e[0] == "message.sent"]
    assert sent[-1][1]["text"].endswith(f"Your reference is {reference}.")


def test_placeholder_values_stay_hidden_on_another_contact_for_the_same_customer(app, client, desk):
    from crm_sandbox.extensions import db
    from crm_sandbox.models import Contact

    customer = verify(client, app, taken(client, desk["chat"]))
    with app.app_context():
        db.session.get(Contact, desk["phone"]).customer_id = customer["id"]
        db.session.commit()
    other = taken(client, desk["phone"])
    take_and_find(client, other, customer)
    assert "[Customer name]" not in data_values(page(client, other))


# --- live updates and script-sent messages -----------------------------------------------------------


def test_updates_return_only_newer_messages(client, desk, events_of):
    cid = taken(client, desk["chat"])
    first = client.get(f"/learner/contacts/{cid}/updates?after=0").get_json()
    assert first["status"] == "live" and [m["seq"] for m in first["messages"]] == [2]
    assert first["messages"][0]["actor"] == "caller" and first["last_seq"] == 2
    say(client, cid, "How can I help?")
    newer = client.get(f"/learner/contacts/{cid}/updates?after={first['last_seq']}").get_json()
    assert [(m["seq"], m["actor"], m["type"]) for m in newer["messages"]] == [
        (3, "learner", "message.sent"),
        (4, "caller", "message.received"),
    ]
    assert newer["last_seq"] == 4
    assert client.get(f"/learner/contacts/{cid}/updates?after=4").get_json()["messages"] == []
    # Junk in "after" is read as 0, never a 500.
    for junk in ("-1", "abc", "1e9", ""):
        resp = client.get(f"/learner/contacts/{cid}/updates?after={junk}")
        assert resp.status_code == 200 and len(resp.get_json()["messages"]) == 3


def test_updates_of_another_learners_contact_are_forbidden(client, desk, make_user, contact_of):
    other = contact_of(make_user("learner2", queue=[CHAT]), CHAT)
    assert client.get(f"/learner/contacts/{other}/updates").status_code == 403


def test_sending_from_the_page_script_returns_json_with_a_fresh_form_token(client, desk, events_of):
    cid = taken(client, desk["chat"])
    resp = client.post(
        f"/learner/contacts/{cid}/messages", headers=FETCH, data={"text": "How can I help?", "form_token": "tok-1"}
    )
    body = resp.get_json()
    assert resp.status_code == 200 and body["ok"] is True and body["next_form_token"] not in ("", "tok-1")
    replay = client.post(
        f"/learner/contacts/{cid}/messages", headers=FETCH, data={"text": "How can I help?", "form_token": "tok-1"}
    )
    assert replay.status_code == 409 and replay.get_json() == {"ok": False, "error": "That message was already sent."}
    empty = client.post(f"/learner/contacts/{cid}/messages", headers=FETCH, data={"text": "  "})
    assert empty.status_code == 400 and "empty" in empty.get_json()["error"]
    assert [e[0] for e in events_of(cid)].count("message.sent") == 1


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [("", "empty"), ("   \n ", "empty"), ("x" * 20_000, "too long")])
def test_empty_and_huge_messages_are_refused_with_a_message(client, desk, events_of, text, message):
    cid = taken(client, desk["chat"])
    resp = say(client, cid, text)
    assert message in messages_after(client, resp)
    assert len(events_of(cid)) == 2


def test_html_and_script_in_messages_are_inert(client, desk, events_of):
    cid = taken(client, desk["chat"])
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)><b>bold</b>'
    say(client, cid, evil)
    assert events_of(cid)[2][1]["text"] == evil  # recorded as typed: it is evidence
    html = page(client, cid)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    body = client.get(f"/learner/contacts/{cid}/updates?after=2").get_json()
    sent = body["messages"][0]
    assert sent["text"] == evil  # plain text: the page's script inserts it as text
    assert set(sent) == {"seq", "actor", "type", "text", "subject", "ends", "public", "at"}


def test_a_double_submitted_message_is_recorded_once(client, desk, events_of):
    cid = taken(client, desk["chat"])
    say(client, cid, "How can I help?", form_token="form-1")
    resp = say(client, cid, "How can I help?", form_token="form-1")
    assert "already sent" in messages_after(client, resp)
    assert [e[0] for e in events_of(cid)] == ["contact.opened", "message.received", "message.sent", "message.received"]


def test_two_tabs_on_one_contact_interleave_without_gaps_or_losses(app, desk, events_of):
    tabs = [app.test_client(), app.test_client()]
    for tab in tabs:
        tab.post("/auth/login", data={"username": "learner1", "password": PASSWORD})
    cid = taken(tabs[0], desk["chat"])
    taken(tabs[1], cid)  # the second tab's "take" records nothing more

    def chat(tab, name):
        for i in range(6):
            assert say(tab, cid, f"{name} message {i}").status_code == 303

    run_together(chat, list(zip(tabs, "AB")))
    events = events_of(cid)
    assert [e[3] for e in events] == list(range(1, 27))
    sent = [e[1]["text"] for e in events if e[0] == "message.sent"]
    assert sorted(sent) == sorted(f"{n} message {i}" for n in "AB" for i in range(6))
    # each message is followed by its own reply, never by the other tab's message
    assert [e[0] for e in events[2:]] == ["message.sent", "message.received"] * 12
    assert len(caller_texts(events)) == 13


# --- knowledge base ----------------------------------------------------------------------------------


def test_knowledge_base_search(client, desk):
    cid = taken(client, desk["chat"])
    html = kb_search(client, cid, "authority limit")
    assert "/kb/refunds-and-authority-limits" in html and "/kb/phone-etiquette" not in html
    assert "No article matches" in kb_search(client, cid, "zzqqxx")
    assert "/kb/idv-policy" in page(client, cid)  # no query lists every article
    assert "/kb/phone-etiquette" in page(client, cid, kb_q="authority limit")  # a query in the URL is ignored
    assert kb_search(client, cid, "<script>x" * 50).count("<script>x") == 0  # long and odd queries are safe


def test_reading_an_article_is_recorded_and_shown(client, desk, events_of):
    cid = taken(client, desk["chat"])
    post(client, cid, "kb/refunds-and-authority-limits", form_token="kb-1")
    post(client, cid, "kb/refunds-and-authority-limits", form_token="kb-1")  # double-submitted
    viewed = [e for e in events_of(cid) if e[0] == "kb.viewed"]
    assert len(viewed) == 1 and viewed[0][4] == "learner"
    assert viewed[0][1] == {"article": "refunds-and-authority-limits", "title": "Refunds and authority limits"}
    assert 'id="kb-title">Refunds and authority limits' in page(client, cid)


def test_an_article_gives_the_authority_limit_of_the_policy_in_force(app, client, desk):
    """The articles never contradict the policy: the limit shown is the one this contact works under."""
    with app.app_context():
        contact = db.session.get(Contact, desk["chat"])
        contact.cohort.policy = {**contact.cohort.policy, "authority_limit": 250}
        db.session.commit()
    cid = taken(client, desk["chat"])
    post(client, cid, "kb/refunds-and-authority-limits", form_token="kb-1")
    html = page(client, cid)
    assert "The limit is <strong>£250.00</strong> per contact" in html and "{authority_limit}" not in html
    post(client, cid, "kb/escalation", form_token="kb-2")
    assert "above your <strong>£250.00</strong> authority limit" in page(client, cid)


def test_unknown_article_is_404_and_records_nothing(client, desk, events_of):
    cid = taken(client, desk["chat"])
    assert post(client, cid, "kb/no-such-article").status_code == 404
    assert len(events_of(cid)) == 2


def test_kb_before_taking_the_contact_is_refused(client, desk, events_of):
    resp = post(client, desk["chat"], "kb/idv-policy")
    assert "Open the contact" in messages_after(client, resp)
    assert events_of(desk["chat"]) == []
