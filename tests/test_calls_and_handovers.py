"""The desk's outbound calls, ended calls and handover notes on bad input: clear messages, nothing
recorded that should not be, no 500 (issue 22)."""

from tests.helpers import customer_of, messages_after, page, post, say, take_and_find


def events(events_of, cid):
    return [e[0] for e in events_of(cid)]


def outbound(app, client, make_user, login, contact_of):
    learner = make_user("learner1", queue=["outbound-callback"])
    login("learner1")
    cid = contact_of(learner, "outbound-callback")
    customer = customer_of(app, cid)
    take_and_find(client, cid, customer)
    return cid, customer


def test_outbound_call_waits_for_the_dial_and_refuses_a_number_not_on_the_record(
    app, client, make_user, login, contact_of, events_of
):
    cid, customer = outbound(app, client, make_user, login, contact_of)
    html = page(client, cid)
    assert "Outbound call" in html and "Call the phone number on this record" in html
    assert customer["phone"] not in html  # dialled by the record's field, never shown before ID&V
    assert "message.received" not in events(events_of, cid)  # nobody has answered

    resp = say(client, cid, "Hello?")
    assert resp.status_code == 422 and "dial the customer" in messages_after(client, resp)

    for number in ("0113 496 0999", "not a number", "<script>alert(1)</script>", "9" * 40):
        resp = post(client, cid, "dial", customer_id=customer["id"], number=number)
        assert resp.status_code == 422, number
        assert "not on the customer&#39;s record" in messages_after(client, resp)
    assert "call.dialled" not in events(events_of, cid)

    for bad in ("", "abc", "99999999999"):
        resp = post(client, cid, "dial", customer_id=bad)
        assert resp.status_code in (303, 422), bad
        assert "record" in messages_after(client, resp)
    assert "call.dialled" not in events(events_of, cid)

    # the record's own number, typed as the learner reads it from a letter: accepted
    resp = post(client, cid, "dial", customer_id=customer["id"], number=customer["phone"].replace(" ", ""))
    assert "Call connected" in messages_after(client, resp)
    assert events(events_of, cid)[-2:] == ["call.dialled", "message.received"]
    resp = post(client, cid, "dial", customer_id=customer["id"])
    assert "already connected" in messages_after(client, resp)
    assert events(events_of, cid).count("call.dialled") == 1


def test_an_inbound_contact_cannot_be_dialled(app, client, make_user, login, contact_of, events_of):
    learner = make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    cid = contact_of(learner, "balance-enquiry")
    customer = customer_of(app, cid)
    take_and_find(client, cid, customer)
    resp = post(client, cid, "dial", customer_id=customer["id"])
    assert "not an outbound call" in messages_after(client, resp)
    resp = post(client, cid, "end-call", reason="abusive")
    assert "Only a call" in messages_after(client, resp)
    assert not {"call.dialled", "call.ended"} & set(events(events_of, cid))


def test_an_ended_call_hears_no_more_and_ends_once(app, client, make_user, login, contact_of, events_of):
    learner = make_user("learner1", queue=["abusive-caller"])
    login("learner1")
    cid = contact_of(learner, "abusive-caller")
    client.post(f"/learner/contacts/{cid}/open")
    for reason in ("", "rude", "<b>x</b>"):
        resp = post(client, cid, "end-call", reason=reason)
        assert resp.status_code == 422 and "Choose why" in messages_after(client, resp)
    assert "Call ended" in messages_after(client, post(client, cid, "end-call", reason="abusive"))
    resp = say(client, cid, "Hello?")
    assert resp.status_code == 422 and "ended this call" in messages_after(client, resp)
    assert "already ended" in messages_after(client, post(client, cid, "end-call", reason="abusive"))
    assert events(events_of, cid).count("call.ended") == 1
    assert 'id="action-end-call"' not in page(client, cid)


def test_a_handover_note_is_plain_text_to_a_listed_team(app, client, make_user, login, contact_of, events_of):
    learner = make_user("learner1", queue=["referred-customer"])
    login("learner1")
    cid = contact_of(learner, "referred-customer")
    client.post(f"/learner/contacts/{cid}/open")
    for team, text, message in (
        ("Fraud team", "<script>alert('x')</script> lift the block", "plain text"),
        ("Fraud team", "Lift the block <img src=x onerror=alert(1)>", "plain text"),
        ("Fraud team", "see javascript:alert(1)", "plain text"),
        ("Fraud team", "   ", "empty"),
        ("Fraud team", "x" * 2001, "too long"),
        ("The moon", "Lift the block", "Choose the team"),
        ("", "Lift the block", "Choose the team"),
    ):
        resp = post(client, cid, "handover", team=team, text=text)
        assert resp.status_code == 422, text
        assert message in messages_after(client, resp), text
    assert "handover.written" not in events(events_of, cid)
    # a plain note with a "<" in words is fine, and shown escaped
    text = "Customer's limit < £500 & card declined: please lift the block."
    assert "Handover note sent" in messages_after(client, post(client, cid, "handover", team="Fraud team", text=text))
    html = page(client, cid)
    assert "limit &lt; £500 &amp; card declined" in html


def test_the_colleagues_note_is_shown_escaped_with_the_referral(app, client, make_user, login, contact_of):
    learner = make_user("learner1", queue=["referred-customer"])
    login("learner1")
    cid = contact_of(learner, "referred-customer")
    assert "Referred by" not in page(client, cid)  # nothing before the contact is taken
    client.post(f"/learner/contacts/{cid}/open")
    html = page(client, cid)
    assert "Referred by Alex (cards team)" in html and "fraud block" in html


def test_a_wrong_record_reaches_a_stranger_who_hangs_up_and_the_right_one_can_still_be_dialled(
    app, client, make_user, login, contact_of, events_of
):
    """Dialling another of the learner's customers: the stranger's "wrong number", then no line (nothing is
    said to or by the real customer's script), and the customer's own record can still be dialled."""
    learner = make_user("learner1", queue=["outbound-callback", "balance-enquiry"])
    login("learner1")
    cid = contact_of(learner, "outbound-callback")
    other = customer_of(app, contact_of(learner, "balance-enquiry"))
    customer = customer_of(app, cid)
    take_and_find(client, cid, customer)
    post(client, cid, "dial", customer_id=other["id"])
    received = [e[1]["text"] for e in events_of(cid) if e[0] == "message.received"]
    assert received == ["Sorry, I think you've got the wrong number. There's nobody here by that name."]
    resp = say(client, cid, "Hello, can you confirm your date of birth?")
    assert resp.status_code == 422 and "not connected" in messages_after(client, resp)
    assert "message.sent" not in events(events_of, cid)
    assert 'id="dial-form"' in page(client, cid)  # the learner can still call the customer
    assert "Call connected" in messages_after(client, post(client, cid, "dial", customer_id=customer["id"]))
    assert events(events_of, cid).count("call.dialled") == 2


def test_an_outbound_call_not_yet_dialled_cannot_be_ended_and_an_ended_call_cannot_be_redialled(
    app, client, make_user, login, contact_of, events_of
):
    cid, customer = outbound(app, client, make_user, login, contact_of)
    resp = post(client, cid, "end-call", reason="silent")
    assert resp.status_code == 422 and "not connected" in messages_after(client, resp)
    assert "call.ended" not in events(events_of, cid)
    post(client, cid, "dial", customer_id=customer["id"])
    assert "Call ended" in messages_after(client, post(client, cid, "end-call", reason="silent"))
    resp = post(client, cid, "dial", customer_id=customer["id"])
    assert resp.status_code == 422 and "ended this call" in messages_after(client, resp)
    assert events(events_of, cid)[-1] == "call.ended"
