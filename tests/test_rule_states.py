"""The rules state kept per contact (issue 18): live findings carried on over the new events only equal the
batch findings on the exported session, the state is encrypted, rebuilt when missing, stale or unreadable,
and what ``flask rebuild-summaries`` rebuilds equals what was maintained, including after a reopened review."""

from sqlalchemy import select, text, update

from crm_sandbox.compliance import evaluate
from crm_sandbox.compliance.engine import evaluate_whole
from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Event, Finding, RuleState, User
from crm_sandbox.operations import review as review_service
from crm_sandbox.operations import rule_states
from crm_sandbox.queries.session_export import session_document
from tests.helpers import customer_of, say, verify
from tests.reporting import reviewed  # noqa: F401  (fixture)


def live(app, cid) -> set:
    with app.app_context():
        rows = db.session.execute(select(Finding).where(Finding.contact_id == cid, Finding.active)).scalars()
        return {(f.rule, tuple(f.events), f.evidence) for f in rows if f.source == "rules"}


def batch(app, cid) -> set:
    with app.app_context():
        doc = session_document(db.session.get(Contact, cid))
        found = evaluate(doc)
        assert found == evaluate_whole(doc)
        return {(f.rule, tuple(f.events), f.evidence) for f in found}


def states_differing(app) -> list[int]:
    with app.app_context():
        return rule_states.differing(db.session(), list(db.session.execute(select(Contact.id)).scalars()))


def test_live_findings_after_each_desk_append_equal_the_batch_on_the_export(app, client, make_user, login, contact_of):
    uid = make_user("learner1", queue=["change-of-address"])
    login("learner1")
    cid = contact_of(uid, "change-of-address")
    customer = customer_of(app, cid)
    base = f"/learner/contacts/{cid}"
    y, m, d = customer["date_of_birth"].split("-")
    steps = [
        lambda: client.post(f"{base}/open"),
        lambda: say(client, cid, f"Hello! Is your date of birth {d}/{m}/{y}?"),
        lambda: client.post(f"{base}/details", data={"field": "address_line1", "value": "3 Park Grove"}),
        lambda: say(client, cid, f"Your postcode is {customer['postcode']}, and your card 4111 1111 1111 1111"),
        lambda: verify(client, app, cid),
        lambda: say(client, cid, "Thanks, you're verified. I've changed the address."),
        lambda: client.post(f"{base}/close", data={"outcome": "resolved", "resolved": "yes"}),
        lambda: client.post(f"{base}/notes", data={"text": "Customer moved; address updated."}),
    ]
    for n, run in enumerate(steps):
        run()
        assert live(app, cid) == batch(app, cid), n
    rules = {rule for rule, _, _ in live(app, cid)}
    assert {"leading-verification-question", "change-before-verification", "payment-card-data"} <= rules
    assert states_differing(app) == []
    with app.app_context():
        last = db.session.execute(select(Event.seq).where(Event.contact_id == cid).order_by(Event.seq.desc())).first()
        assert db.session.get(RuleState, cid).seq == last[0]
        raw = db.session.execute(text("SELECT state FROM rule_state WHERE contact_id = :c"), {"c": cid}).scalar_one()
    for value in (customer["last_name"], customer["postcode"], "Park Grove", "4111"):
        assert value not in raw  # encrypted at rest


def test_an_append_reads_only_the_events_after_the_stored_state(app, client, make_user, login, contact_of, monkeypatch):
    uid = make_user("learner1", queue=["balance-enquiry"])
    login("learner1")
    cid = contact_of(uid, "balance-enquiry")
    verify(client, app, cid)
    say(client, cid, "Thank you, you're verified.")
    exported: list[int] = []
    real = rule_states.export_event
    monkeypatch.setattr(rule_states, "export_event", lambda e, refs: exported.append(e.seq) or real(e, refs))
    with app.app_context():
        before = db.session.get(RuleState, cid).seq
    client.post(f"/learner/contacts/{cid}/notes", data={"text": "Balance given after ID&V."})
    with app.app_context():
        after = db.session.get(RuleState, cid).seq
    assert after > before and exported == list(range(before + 1, after + 1))
    assert live(app, cid) == batch(app, cid)


def test_a_missing_unreadable_or_stale_state_is_rebuilt_from_the_events(app, client, make_user, login, contact_of):
    uid = make_user("learner1", queue=["change-of-address"])
    login("learner1")
    cid = contact_of(uid, "change-of-address")
    client.post(f"/learner/contacts/{cid}/open")
    customer = customer_of(app, cid)
    say(client, cid, f"Is your postcode {customer['postcode']}?")
    spoil = [
        lambda: db.session.execute(update(RuleState).values(state="not a token")),
        lambda: db.session.execute(update(RuleState).values(engine="rules of an older release")),
        lambda: db.session.execute(update(RuleState).values(seq=RuleState.seq - 1)),
        lambda: db.session.execute(RuleState.__table__.delete()),
    ]
    for n, harm in enumerate(spoil):
        with app.app_context(), write_transaction():
            harm()
        say(client, cid, f"Just checking, message {n}.")
        assert live(app, cid) == batch(app, cid), n
        assert states_differing(app) == [], n


def test_rebuilt_states_equal_the_maintained_ones_after_a_review_is_reopened(app, reviewed, runner):  # noqa: F811
    cid = reviewed["contact_id"]
    assert states_differing(app) == []
    with app.app_context():
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        review_service.reopen(db.session.get(Contact, cid), assessor, "Second look at the ID&V.", True)
    assert live(app, cid) == batch(app, cid)
    assert runner.invoke(args=["rebuild-summaries", "--check"]).exit_code == 0
    with app.app_context(), write_transaction():  # a state that is readable but wrong: found and repaired
        other = db.session.get(RuleState, cid)
        db.session.execute(update(RuleState).where(RuleState.contact_id == cid).values(seq=other.seq))
        contact = db.session.get(Contact, cid)
        wrong = rule_states.fold.start(rule_states.rules_header(contact))
        wrong.last_seq = other.seq
        db.session.execute(
            update(RuleState)
            .where(RuleState.contact_id == cid)
            .values(state=rule_states.encrypt_json(rule_states.fold.to_json(wrong)))
        )
    result = runner.invoke(args=["rebuild-summaries", "--check"])
    assert result.exit_code == 1 and f"contact {cid}: rules state differs" in result.output
    assert runner.invoke(args=["rebuild-summaries"]).exit_code == 0
    assert states_differing(app) == []
    assert live(app, cid) == batch(app, cid)
