"""Contact summaries (issue 18): maintained as events are appended and as the review changes, equal to the
summaries rebuilt from the events, and what the dashboard reads."""

import pytest
from sqlalchemy import select, update

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, ContactSummary, Event, Finding, User
from crm_sandbox.operations import review as review_service
from crm_sandbox.operations import summaries
from crm_sandbox.queries import kpis
from crm_sandbox.queries.dashboard import cohort_dashboard, summary_kpis
from crm_sandbox.queries.review import contact_review
from tests.helpers import say, verify
from tests.reporting import reviewed  # noqa: F401  (fixture)


def maintained_and_rebuilt(app) -> tuple[dict, dict]:
    """Every contact's summary as maintained, and as derived afresh from its events."""
    with app.app_context():
        ids = list(db.session.execute(select(Contact.id)).scalars())
        return summaries.stored(db.session(), ids), summaries.derive(db.session(), ids)


def assert_rebuilt_equals_maintained(app) -> dict:
    kept, rebuilt = maintained_and_rebuilt(app)
    assert kept == rebuilt
    return kept


@pytest.fixture
def played(app, client, make_user, login, contact_of):
    """learner1's balance enquiry: verified, two messages, closed resolved; the change of address left queued."""
    uid = make_user("learner1", queue=["balance-enquiry", "change-of-address"])
    make_user("assessor1", "assessor")
    login("learner1")
    cid = contact_of(uid, "balance-enquiry")
    verify(client, app, cid)
    say(client, cid, "Thank you, you're verified. Your balance is on the screen.")
    say(client, cid, "Is there anything else I can help with?")
    client.post(f"/learner/contacts/{cid}/close", data={"outcome": "resolved", "resolved": "yes"})
    client.post("/auth/logout")
    return {"learner_id": uid, "contact_id": cid, "queued": contact_of(uid, "change-of-address")}


def test_a_played_contact_s_maintained_summary_equals_the_rebuilt_one(app, played):
    kept = assert_rebuilt_equals_maintained(app)
    s = kept[played["contact_id"]]
    assert s["status"] == "closed" and s["resolved"] is True
    assert s["opened_at"] < s["verified_at"] < s["first_response_at"] < s["closed_at"] == s["last_event_at"]
    assert kept[played["queued"]] == summaries.empty("queued")
    with app.app_context():
        events = db.session.execute(select(Event).where(Event.contact_id == played["contact_id"])).scalars().all()
        assert s["events"] == len(events)
        found = db.session.execute(select(Finding).where(Finding.contact_id == played["contact_id"])).scalars()
        active = [f for f in found if f.active]
        assert sum(s[f"findings_{sev}"] for sev in ("high", "medium", "low")) == len(active)
        row = db.session.get(ContactSummary, played["contact_id"])
        assert summary_kpis(row) == kpis.contact_kpis(events, len(active))  # the dashboard's KPIs, unchanged


def test_summaries_follow_review_decisions_sign_off_and_reopening(app, reviewed):  # noqa: F811
    cid = reviewed["contact_id"]
    kept = assert_rebuilt_equals_maintained(app)
    assert kept[cid]["status"] == "reviewed"
    with app.app_context():
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        review_service.reopen(db.session.get(Contact, cid), assessor, "Second look at the ID&V.", True)
    kept = assert_rebuilt_equals_maintained(app)
    assert kept[cid]["status"] == "closed"
    with app.app_context():  # reopened: a dismissal takes a finding off the count
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        finding = next(f for f in contact_review(db.session.get(Contact, cid)).findings if f.source == "rules")
        before = db.session.get(ContactSummary, cid).findings_by_severity()[finding.severity]
        review_service.decide_finding(
            finding, assessor, "dismissed", "Scripted, not the learner's.", len(finding.decisions)
        )
        assert db.session.get(ContactSummary, cid).findings_by_severity()[finding.severity] == before - 1
        review_service.add_finding(db.session.get(Contact, cid), assessor, "", "Tone was curt.", [2], severity="low")
    kept = assert_rebuilt_equals_maintained(app)
    assert kept[cid]["status"] == "closed"


def test_the_dashboard_reads_the_summaries(app, played):
    with app.app_context(), write_transaction():  # a summary edited behind the app's back shows
        db.session.execute(
            update(ContactSummary).where(ContactSummary.contact_id == played["contact_id"]).values(findings_high=7)
        )
    with app.app_context():
        cohort_id = db.session.get(Contact, played["contact_id"]).cohort_id
        rows = {r.contact.id: r for lr in cohort_dashboard(cohort_id) for r in lr.contacts}
        assert rows[played["contact_id"]].findings["high"] == 7
        assert rows[played["queued"]].status == "queued" and rows[played["queued"]].kpis.handling_seconds is None


def test_cli_rebuild_summaries_checks_and_repairs_with_progress(app, played, runner):
    assert runner.invoke(args=["rebuild-summaries", "--check"]).exit_code == 0
    with app.app_context(), write_transaction():
        db.session.execute(
            update(ContactSummary)
            .where(ContactSummary.contact_id == played["contact_id"])
            .values(status="live", events=1)
        )
    result = runner.invoke(args=["rebuild-summaries", "--check"])
    assert result.exit_code == 1 and f"contact {played['contact_id']}: events, status differ" in result.output
    result = runner.invoke(args=["rebuild-summaries"])
    assert result.exit_code == 0 and "Rebuilt 2 contact summaries" in result.output, result.output
    assert_rebuilt_equals_maintained(app)
    result = runner.invoke(args=["rebuild-summaries", "--cohort", "Nope"])
    assert result.exit_code == 1 and "There is no cohort called 'Nope'" in result.output
