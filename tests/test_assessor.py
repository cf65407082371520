"""The assessor: dashboard, live observation and playing the caller, review decisions, criteria, sign-off."""

import threading

import pytest
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, Contact, CriterionJudgement, Finding, FindingDecision
from crm_sandbox.queries import kpis
from crm_sandbox.queries.review import review_findings
from tests.conftest import PASSWORD, flashes
from tests.helpers import run_together, signed_in
from tests.reporting import observed_assessment


def decide_everything(client, app, cid):
    """Through the review page's forms: confirm every finding, judge every undecided criterion not covered."""
    from crm_sandbox.queries.review import contact_review

    with app.app_context():
        review = contact_review(db.session.get(Contact, cid))
        undecided = [(f.id, len(f.decisions)) for f in review.findings if f.decision is None]
        unjudged = [row.criterion.id for row in review.criteria if row.status is None]
    base = f"/assessor/contacts/{cid}"
    for fid, seen in undecided:
        client.post(f"{base}/findings/{fid}/decision", data={"decision": "confirmed", "seen": seen})
    for crit in unjudged:
        client.post(f"{base}/criteria/{crit}", data={"status": "not_covered", "comment": "Not shown here."})


@pytest.fixture
def staff(app, make_user, login, contact_of, client):
    """learner1 has played change-of-address badly (leading question, change before ID&V, no note)."""
    learner = make_user("learner1", queue=["change-of-address", "balance-enquiry"])
    make_user("assessor1", "assessor")
    cid = contact_of(learner, "change-of-address")
    observed_assessment(app, cid)  # assigned as an observed assessment (a practice contact is formative only)
    login("learner1")
    with app.app_context():
        dob = db.session.get(Contact, cid).customer.date_of_birth
    y, m, d = dob.split("-")
    base = f"/learner/contacts/{cid}"
    client.post(f"{base}/open")
    client.post(
        f"{base}/messages", data={"text": f"Hello, is your date of birth {d}/{m}/{y}? I will recieve your details."}
    )
    client.post(f"{base}/details", data={"field": "address_line1", "value": "3 Park Grove"})
    client.post(f"{base}/close", data={"outcome": "resolved", "resolved": "yes"})
    client.post("/auth/logout")
    login("assessor1")
    return {"learner": learner, "contact_id": cid, "live_id": contact_of(learner, "balance-enquiry")}


def findings(app, cid):
    with app.app_context():
        return {f.rule: f.id for f in db.session.execute(select(Finding).where(Finding.contact_id == cid)).scalars()}


def test_dashboard_lists_learners_contacts_and_the_review_queue(client, staff):
    html = client.get("/assessor/").get_data(as_text=True)
    assert "Awaiting review (1)" in html
    assert "Change of address" in html and "learner1" in html
    assert "high" in html  # findings by severity
    filtered = client.get("/assessor/?status=queued").get_data(as_text=True)
    assert "Balance enquiry" in filtered


def test_review_shows_timeline_flags_and_spelling(client, staff):
    html = client.get(f"/assessor/contacts/{staff['contact_id']}/review").get_data(as_text=True)
    assert "leading-verification-question" in html and "change-before-verification" in html
    assert '<mark class="flagged">' in html
    assert '<mark class="misspelt">recieve</mark>' in html
    assert "DP1" in html and "LOG1" in html


def decide(client, staff, finding_id, decision, comment="", seen=0):
    return client.post(
        f"/assessor/contacts/{staff['contact_id']}/findings/{finding_id}/decision",
        data={"decision": decision, "comment": comment, "seen": seen},
    )


def test_confirm_and_dismiss_keep_history(app, client, staff):
    ids = findings(app, staff["contact_id"])
    decide(client, staff, ids["leading-verification-question"], "confirmed")
    resp = decide(client, staff, ids["change-before-verification"], "dismissed")
    assert "comment" in " ".join(flashes(client.get(resp.location).get_data(as_text=True)))
    decide(client, staff, ids["change-before-verification"], "dismissed", "Trainer asked for this change.")
    decide(client, staff, ids["change-before-verification"], "confirmed", "On reflection it stands.", seen=1)
    with app.app_context():
        rows = (
            db.session.execute(
                select(FindingDecision)
                .where(FindingDecision.finding_id == ids["change-before-verification"])
                .order_by(FindingDecision.id)
            )
            .scalars()
            .all()
        )
        assert [(r.decision, r.comment) for r in rows] == [
            ("dismissed", "Trainer asked for this change."),
            ("confirmed", "On reflection it stands."),
        ]
    html = client.get(f"/assessor/contacts/{staff['contact_id']}/review").get_data(as_text=True)
    assert "Trainer asked for this change." in html and "On reflection it stands." in html


def test_a_stale_decision_is_refused_not_stacked(app, client, staff):
    fid = findings(app, staff["contact_id"])["missing-log"]
    decide(client, staff, fid, "confirmed", seen=0)
    resp = decide(client, staff, fid, "dismissed", "no", seen=0)  # the page was loaded before the first
    assert "while you were reviewing" in " ".join(flashes(client.get(resp.location).get_data(as_text=True)))


def test_two_assessors_deciding_at_once_get_one_decision_and_one_clear_refusal(app, staff, make_user):
    make_user("assessor2", "assessor")
    fid = findings(app, staff["contact_id"])["missing-log"]
    clients = [signed_in(app, name) for name in ("assessor1", "assessor2")]
    barrier, results = threading.Barrier(2), []

    def go(c):
        barrier.wait()
        r = c.post(
            f"/assessor/contacts/{staff['contact_id']}/findings/{fid}/decision",
            data={"decision": "confirmed", "seen": 0},
            headers={"X-Requested-With": "fetch"},
        )
        results.append(r.status_code)

    run_together(go, [(c,) for c in clients])
    assert sorted(results) == [200, 409]
    with app.app_context():
        assert (
            db.session.execute(select(FindingDecision).where(FindingDecision.finding_id == fid))
            .scalars()
            .all()
            .__len__()
            == 1
        )


def test_assessor_adds_own_finding_and_observation(app, client, staff):
    base = f"/assessor/contacts/{staff['contact_id']}"
    client.post(
        f"{base}/findings", data={"rule": "tone", "explanation": "Curt greeting.", "events": ["3"], "severity": "low"}
    )
    client.post(f"{base}/observations", data={"text": "Learner sighed audibly.", "as_finding": "yes"})
    with app.app_context():
        own = (
            db.session.execute(
                select(Finding).where(Finding.contact_id == staff["contact_id"], Finding.source == "assessor")
            )
            .scalars()
            .all()
        )
        assert {f.rule for f in own} == {"tone", "assessor-observation"}
    html = client.get(f"{base}/review").get_data(as_text=True)
    assert "Curt greeting." in html and "Learner sighed audibly." in html
    with app.app_context():  # each listed once (they are active, and the assessor's own)
        listed = [f.id for f in review_findings(staff["contact_id"])]
        assert len(listed) == len(set(listed))


def test_own_finding_must_point_at_this_contacts_events(app, client, staff):
    resp = client.post(
        f"/assessor/contacts/{staff['contact_id']}/findings", data={"rule": "x", "explanation": "y", "events": ["999"]}
    )
    assert "at least one event" in " ".join(flashes(client.get(resp.location).get_data(as_text=True)))


def test_criteria_link_events_and_judgements_keep_history(app, client, staff):
    from crm_sandbox.queries.review import contact_review

    with app.app_context():
        review = contact_review(db.session.get(Contact, staff["contact_id"]))
        rows = {r.criterion.code: r for r in review.criteria}
        assert {e.type for e in rows["LOG1"].events} == {"contact.closed"}
        assert {f.rule for f in rows["LOG1"].against} == {"missing-log"}
        assert "leading-verification-question" in {f.rule for f in rows["DP1"].against}
    base = f"/assessor/contacts/{staff['contact_id']}"
    resp = client.post(f"{base}/criteria/contemporaneous-logging", data={"met": "not_yet"})
    assert "comment" in " ".join(flashes(client.get(resp.location).get_data(as_text=True)))
    client.post(f"{base}/criteria/contemporaneous-logging", data={"met": "not_yet", "comment": "No notes."})
    client.post(f"{base}/criteria/contemporaneous-logging", data={"met": "met", "comment": "Late note added."})
    with app.app_context():
        history = db.session.execute(select(CriterionJudgement).order_by(CriterionJudgement.id)).scalars().all()
        assert [(j.met, j.comment) for j in history] == [(False, "No notes."), (True, "Late note added.")]


def test_a_dismissed_finding_no_longer_counts_against_its_criterion(app, client, staff):
    from crm_sandbox.queries.review import contact_review

    fid = findings(app, staff["contact_id"])["missing-log"]
    decide(client, staff, fid, "dismissed", "Logged on paper by agreement.")
    with app.app_context():
        rows = {r.criterion.code: r for r in contact_review(db.session.get(Contact, staff["contact_id"])).criteria}
        assert rows["LOG1"].against == []


def test_sign_off_release_and_learner_acknowledgement(app, client, staff, login):
    base = f"/assessor/contacts/{staff['contact_id']}"
    decide_everything(client, app, staff["contact_id"])
    client.post(f"{base}/sign-off", data={"outcome": "not_yet_competent", "feedback": "Ask open questions."})
    resp = client.post(f"{base}/sign-off", data={"outcome": "competent", "feedback": "Changed my mind"})
    assert "already signed off" in " ".join(flashes(client.get(resp.location).get_data(as_text=True)))
    client.post("/auth/logout")
    login("learner1")
    assert client.get(f"/learner/contacts/{staff['contact_id']}/report").status_code == 404
    client.post("/auth/logout")
    login("assessor1")
    client.post(f"{base}/release")
    client.post("/auth/logout")
    login("learner1")
    html = client.get(f"/learner/contacts/{staff['contact_id']}/report").get_data(as_text=True)
    assert "Not yet competent" in html and "Ask open questions." in html
    client.post(f"/learner/contacts/{staff['contact_id']}/report/acknowledge", data={"comment": "Understood."})
    resp = client.post(f"/learner/contacts/{staff['contact_id']}/report/acknowledge", data={"comment": "Again"})
    assert resp.status_code == 303
    with app.app_context():
        a = db.session.execute(select(Assessment)).scalar_one()
        assert a.outcome == "not_yet_competent" and a.learner_comment == "Understood." and a.acknowledged_at


def test_sign_off_needs_a_closed_contact(client, staff):
    resp = client.post(
        f"/assessor/contacts/{staff['live_id']}/sign-off", data={"outcome": "competent", "feedback": "x"}
    )
    assert "closed" in " ".join(flashes(client.get(resp.location).get_data(as_text=True)))


def test_role_player_sends_caller_messages_the_learner_sees(app, client, staff, login):
    live = staff["live_id"]
    client.post("/auth/logout")
    login("learner1")
    client.post(f"/learner/contacts/{live}/open")
    client.post("/auth/logout")
    login("assessor1")
    resp = client.post(f"/assessor/contacts/{live}/caller/message", data={"text": "Hello?"})
    assert "Take over" in " ".join(flashes(client.get(resp.location).get_data(as_text=True)))
    client.post(f"/assessor/contacts/{live}/caller/take")
    client.post(f"/assessor/contacts/{live}/caller/message", data={"text": "It's me, the role-player."})
    timeline = client.get(f"/assessor/contacts/{live}/timeline?after=0").get_json()
    assert timeline["events"][-1]["text"] == "It's me, the role-player."
    client.post(f"/assessor/contacts/{live}/observations", data={"text": "Learner greeted warmly."})
    client.post("/auth/logout")
    login("learner1")
    # The script is paused: the learner's message gets no scripted reply; both messages appear live.
    # The assessor's observation does not: a fair test keeps the assessor's notes off the learner's desk.
    client.post(f"/learner/contacts/{live}/messages", data={"text": "Good morning, how can I help?"})
    msgs = client.get(f"/learner/contacts/{live}/updates?after=0").get_json()["messages"]
    assert [m["actor"] for m in msgs[-2:]] == ["caller", "learner"]
    assert msgs[-2]["text"] == "It's me, the role-player."
    assert "Learner greeted warmly." not in str(msgs)
    assert "Learner greeted warmly." not in client.get(f"/learner/contacts/{live}").get_data(as_text=True)


def test_another_cohorts_assessor_cannot_see_the_contact(app, client, staff):
    from crm_sandbox.cli import get_or_create_cohort
    from crm_sandbox.database import write_transaction
    from crm_sandbox.operations.cohorts.accounts import create_user

    with app.app_context(), write_transaction():
        create_user("outsider", PASSWORD, "assessor", cohort=get_or_create_cohort("Other cohort"))
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": "outsider", "password": PASSWORD})
    assert client.get(f"/assessor/contacts/{staff['contact_id']}/review").status_code == 403
    assert "Change of address" not in client.get("/assessor/").get_data(as_text=True)


def test_kpis_match_hand_computed_values():
    from datetime import datetime, timedelta, timezone
    from types import SimpleNamespace as E

    t0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
    events = [
        E(type="contact.opened", at=t0, data={}),
        E(type="message.received", at=t0 + timedelta(seconds=2), data={}),
        E(type="message.sent", at=t0 + timedelta(seconds=20), data={}),
        E(type="idv.result", at=t0 + timedelta(seconds=95), data={"passed": True}),
        E(type="contact.closed", at=t0 + timedelta(seconds=245), data={"resolved": True}),
    ]
    k = kpis.contact_kpis(events, findings=2)
    assert (k.handling_seconds, k.verify_seconds, k.first_response_seconds, k.resolved_first_time) == (
        245,
        95,
        20,
        True,
    )
    other = kpis.contact_kpis(
        events[:3] + [E(type="contact.closed", at=t0 + timedelta(seconds=55), data={"resolved": False})]
    )
    learner = kpis.learner_kpis([k, other])
    assert learner.average_handling_seconds == 150 and learner.first_contact_resolution == 0.5
    assert learner.average_verify_seconds == 95 and learner.findings_per_contact == 1
    assert kpis.duration(245) == "4:05" and kpis.duration(3725) == "1:02:05" and kpis.duration(None) == "–"
