"""The replay: the desk rebuilt from the events alone equals the desk as the learner saw it, at every step."""

from datetime import date

import pytest

from crm_sandbox.extensions import db
from crm_sandbox.models import Contact
from crm_sandbox.queries.replay import desk_at
from tests.conftest import PASSWORD
from tests.helpers import check_answer, customer_of, post, say
from tests.html_panels import Node, find_all, parse, render, squash
from tests.reporting import reviewed  # noqa: F401 (a fixture)


def drop(node: Node) -> bool:
    """What only the live desk has: its forms (the replay is read-only)."""
    return node.tag == "form" or "amend" in node.classes


def panels(html: str) -> dict[str, str]:
    """The desk's panels, normalised: the messages, the record (ID&V panel and fields) and the notes."""
    root = parse(html)
    convo = find_all(root, lambda n: n.attrs.get("id") == "conversation")
    messages = find_all(convo[0], lambda n: "data-seq" in n.attrs) if convo else []
    record = find_all(root, lambda n: n.tag == "section" and "record" in n.classes)
    typing = find_all(root, lambda n: n.attrs.get("id") == "typing")
    notes = find_all(root, lambda n: n.tag == "ol" and "notes" in n.classes)
    return {
        "messages": squash("".join(render(m, drop) for m in messages)),
        "record": squash(render(record[0], drop)) if record else "",
        "notes": squash(render(notes[0], drop)) if notes else "",
        "typing": squash(render(typing[0], drop)).replace(' aria-live="polite"', "") if typing else "",
    }


def head_seq(html: str) -> int:
    convo = find_all(parse(html), lambda n: n.attrs.get("id") == "conversation")
    return int(convo[0].attrs["data-last-seq"]) if convo else 0


@pytest.fixture
def assessor_client(app, make_user):
    make_user("assessor1", "assessor")
    client = app.test_client()
    client.post("/auth/login", data={"username": "assessor1", "password": PASSWORD})
    return client


def test_the_replayed_desk_equals_the_live_desk_at_every_step(
    app, client, make_user, login, contact_of, assessor_client
):
    learner_id = make_user("learner1", queue=["balance-enquiry", "change-of-address"])
    login("learner1")
    cid, earlier = contact_of(learner_id, "change-of-address"), contact_of(learner_id, "balance-enquiry")
    with app.app_context():  # an earlier contact of the learner's with the same customer: the record's history
        db.session.get(Contact, earlier).customer_id = db.session.get(Contact, cid).customer_id
        db.session.commit()
    post(client, earlier, "open")
    post(client, earlier, "notes", text="Earlier: balance given.")
    post(client, earlier, "close", outcome="information-given", resolved="yes")
    customer = customer_of(app, cid)
    dob = date.fromisoformat(customer["date_of_birth"])

    def note_seq(contact_id: int = cid) -> int:
        with app.app_context():
            return next(e.seq for e in db.session.get(Contact, contact_id).events if e.type == "note.added")

    actions = [
        lambda: post(client, cid, "open"),
        lambda: say(client, cid, "Hello, you're through to the bank. How can I help?"),
        lambda: post(client, cid, "search", query=customer["last_name"]),
        lambda: post(client, cid, f"customers/{customer['id']}/view"),
        lambda: check_answer(client, cid, customer["id"], "date_of_birth", "01/01/1901"),  # a wrong answer
        lambda: say(client, cid, "Can you confirm your date of birth again please?"),
        lambda: check_answer(client, cid, customer["id"], "date_of_birth", dob.strftime("%d/%m/%Y")),
        lambda: check_answer(client, cid, customer["id"], "postcode", customer["postcode"]),
        lambda: post(client, cid, "notes", text="Caller verified; moving house."),
        lambda: post(client, cid, "details", field="email", value="new.address@example.com"),
        lambda: post(
            client, cid, "details", address_line1="1 New Street", address_line2="", town="Leeds", postcode="LS1 4AP"
        ),
        lambda: post(client, cid, f"notes/{note_seq()}/amend", text="Caller verified; moved to Leeds.", reason="Typo"),
        lambda: post(  # a late amendment of the earlier contact's note: the replay shows each version then
            client, earlier, f"notes/{note_seq(earlier)}/amend", text="Earlier: balance and builder.", reason="Fuller"
        ),
        lambda: say(client, cid, "That's all updated for you. Anything else?"),
        lambda: post(client, cid, "close", outcome="resolved", resolved="yes"),
    ]
    captured: dict[int, dict[str, str]] = {}
    for act in actions:
        act()
        html = client.get(f"/learner/contacts/{cid}").get_data(as_text=True)
        # the desk just after each event: an action on another contact (the late amendment) changes
        # nothing here until this contact's next event, so the first capture per event is the one
        captured.setdefault(head_seq(html), panels(html))
    with app.app_context():
        contact = db.session.get(Contact, cid)
        assert contact.status == "closed", "the contact was played to the end"
        assert contact.customer.town == "Leeds"
    assert len(captured) >= 10
    revealed = masked = 0
    account = [live["record"] for live in captured.values() if "Recent transactions" in live["record"]]
    assert any("Earlier: balance given." in r for r in account) and any("balance and builder" in r for r in account)
    assert any("locked-note" in live["record"] for live in captured.values())  # before verification
    for seq, live in captured.items():
        resp = assessor_client.get(f"/assessor/contacts/{cid}/replay?at={seq}")
        assert resp.status_code == 200
        replayed = panels(resp.get_data(as_text=True))
        assert replayed == live, f"event {seq}"
        revealed += "masked" not in live["record"] and bool(live["record"])
        masked += 'class="field masked"' in live["record"]
    assert revealed and masked  # the record was seen both masked and revealed, and replayed as each
    from tests.test_disclosure import views

    seen = [set(v.fields) for v in views(app, kind="replay")]
    assert any({"transactions", "history"} <= f for f in seen)  # who saw what: the account panel, when shown
    assert any("transactions" not in f for f in seen)  # and not when the replay showed it masked


def test_a_learner_replays_only_a_released_contact(app, client, make_user, login, contact_of):
    learner_id = make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    cid = contact_of(learner_id, "balance-enquiry")
    post(client, cid, "open")
    assert client.get(f"/learner/contacts/{cid}/replay").status_code == 404


def test_a_bad_event_number_shows_the_whole_contact(app, client, make_user, login, contact_of, assessor_client):
    learner_id = make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    cid = contact_of(learner_id, "balance-enquiry")
    post(client, cid, "open")
    for at in ("x", "-3", "9" * 30, "999"):
        resp = assessor_client.get(f"/assessor/contacts/{cid}/replay?at={at}")
        assert resp.status_code == 200


def test_findings_are_those_raised_by_the_events_so_far(app, client, make_user, login, contact_of):
    learner_id = make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    cid = contact_of(learner_id, "balance-enquiry")
    customer = customer_of(app, cid)
    post(client, cid, "open")
    post(client, cid, "search", query=customer["last_name"])
    post(client, cid, f"customers/{customer['id']}/view")
    say(client, cid, f"Your balance is {customer['balance']} and your postcode is {customer['postcode']}.")
    with app.app_context():
        contact = db.session.get(Contact, cid)
        told = next(e.seq for e in contact.events if e.type == "message.sent")
        before, after = desk_at(contact, told - 1), desk_at(contact, told)
        assert before.contact.status == "live" and before.record is not None and not before.verified
        assert "disclosure-before-verification" not in {f.rule for f in before.findings}
        assert "disclosure-before-verification" in {f.rule for f in after.findings}
        assert all(s <= told for f in after.findings for s in f.events)
        assert desk_at(contact, 0).contact.status == "queued" and desk_at(contact, 0).messages == []


def test_a_learners_replay_shows_their_contact_not_the_engines_raw_flags_or_the_assessors_events(
    app, client, login, reviewed
):
    """The learner's report lists only the flags the assessor confirmed; their replay must not list the
    engine's raw flags (some may have been dismissed) nor the assessor's, IQA's or mood events."""
    from crm_sandbox.models import User
    from crm_sandbox.operations import review as review_service
    from tests.helpers import signed_in

    cid = reviewed["contact_id"]
    staff = signed_in(app, "assessor1").get(f"/assessor/contacts/{cid}/replay").get_data(as_text=True)
    assert "Findings raised so far" in staff and "assessment.signed" not in staff
    with app.app_context():
        review_service.release(
            db.session.get(Contact, cid), db.session.query(User).filter_by(username="assessor1").one()
        )
    login("learner1")
    resp = client.get(f"/learner/contacts/{cid}/replay")
    assert resp.status_code == 200
    mine = resp.get_data(as_text=True)
    assert "Findings raised so far" not in mine and 'id="replay-findings"' not in mine
    assert "Assessment signed" not in mine and "Observation" not in mine  # the assessor's events stay theirs


def test_the_replay_shows_the_caller_typing_and_a_reply_cancelled_by_a_take_over_as_the_learner_saw_it(
    app, client, make_user, login, contact_of, assessor_client, monkeypatch
):
    from crm_sandbox.operations.desk import caller_replies
    from tests.scenarios.test_caller_timing import Clock

    clock = Clock()
    monkeypatch.setattr(caller_replies, "clock", clock)
    app.config["CALLER_REPLY_DELAYS"] = True
    learner_id = make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    cid = contact_of(learner_id, "balance-enquiry")
    actions = [
        lambda: post(client, cid, "open"),
        lambda: say(client, cid, "How can I help you today?"),  # the caller types
        lambda: clock.wait(120),  # due: the next request delivers it
        lambda: say(client, cid, "Are you on a computer or your phone?"),  # typing again...
        lambda: assessor_client.post(f"/assessor/contacts/{cid}/caller/take"),  # ...cancelled by the take-over
        lambda: clock.wait(600),
        lambda: assessor_client.post(f"/assessor/contacts/{cid}/caller/message", data={"text": "My phone, love."}),
    ]
    captured: dict[int, dict[str, str]] = {}
    for act in actions:
        act()
        html = client.get(f"/learner/contacts/{cid}").get_data(as_text=True)
        captured.setdefault(head_seq(html), panels(html))
    typing = [seq for seq, live in captured.items() if "caller is typing" in live["typing"]]
    assert len(typing) == 2 and max(captured) not in typing  # typing twice; not after the take-over
    assert "My phone, love." in captured[max(captured)]["messages"]
    for seq, live in captured.items():
        replayed = panels(assessor_client.get(f"/assessor/contacts/{cid}/replay?at={seq}").get_data(as_text=True))
        assert replayed == live, f"event {seq}"
