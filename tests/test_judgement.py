"""A judgement that cannot contradict itself (issue 14, item 1; item 6's sign-off rule).

Sign-off is refused until every finding is decided and every criterion has a status; after it the review
is locked until it is reopened with a reason, which voids the signed version (kept) and the learner's
acknowledgement; the PDF names the version signed; a practice contact is formative, never competent.
"""

import pytest
from sqlalchemy import select

from crm_sandbox.compliance.document import parse_session
from crm_sandbox.errors import Conflict, ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.models import Assessment, Contact, CriterionJudgement, Event, Finding, User
from crm_sandbox.operations import review as reviews
from crm_sandbox.queries.review import CriterionRow, contact_review, learner_reviews
from crm_sandbox.queries.session_export import session_document
from crm_sandbox.reports import pdf
from crm_sandbox.reports import records as r
from tests.conftest import flashes, stored_rows
from tests.helpers import run_together, signed_in
from tests.reporting import observed_assessment, pdf_text, play_change_of_address

REVIEW_TABLES = ("finding", "finding_decision", "criterion_judgement", "assessment", "event")


@pytest.fixture
def played(app, client, make_user, login, contact_of):
    """learner1's change-of-address (an observed assessment by assessor1) played badly and closed; assessor1
    signed in on ``client``. Nothing decided yet."""
    uid = make_user("learner1", queue=["change-of-address", "balance-enquiry"])
    make_user("assessor1", "assessor")
    cid = contact_of(uid, "change-of-address")
    observed_assessment(app, cid)
    login("learner1")
    play_change_of_address(app, client, cid)
    client.post("/auth/logout")
    login("assessor1")
    return {"learner_id": uid, "contact_id": cid, "base": f"/assessor/contacts/{cid}"}


def review_now(app, cid):
    with app.app_context():
        return contact_review(db.session.get(Contact, cid))


def flashed(client, resp) -> str:
    """The messages a form's answer shows: on the page it redirects to, or on the page itself (a refused
    sign-off answers with the review again, keeping what was typed)."""
    page = client.get(resp.location) if resp.status_code in (302, 303) else resp
    return " ".join(flashes(page.get_data(as_text=True)))


def decide_all(client, app, cid, criterion_status="met"):
    """Through the page's forms: confirm every undecided finding, judge every undecided criterion."""
    rv = review_now(app, cid)
    base = f"/assessor/contacts/{cid}"
    for f in rv.findings:
        if f.decision is None:
            client.post(f"{base}/findings/{f.id}/decision", data={"decision": "confirmed", "seen": 0})
    for row in rv.criteria:
        if row.status is None:
            if criterion_status != "met":
                comment = "Not shown on this contact."
            else:  # met with linked evidence needs no comment; met with none must say what evidences it
                comment = "" if row.events else "Seen on the call: the assessor's note."
            client.post(f"{base}/criteria/{row.criterion.id}", data={"status": criterion_status, "comment": comment})


def sign(client, played, outcome="not_yet_competent", **extra):
    data = {"outcome": outcome, "feedback": "Ask open questions before anything else.", **extra}
    return client.post(f"{played['base']}/sign-off", data=data)


def assessments(app, cid):
    with app.app_context():
        return (
            db.session.execute(select(Assessment).where(Assessment.contact_id == cid).order_by(Assessment.version))
            .scalars()
            .all()
        )


def event_types(app, cid):
    with app.app_context():
        return [e.type for e in db.session.execute(select(Event).where(Event.contact_id == cid)).scalars()]


# --- the gate --------------------------------------------------------------------------------------------
def test_sign_off_posted_directly_without_decisions_is_refused_with_the_list_and_changes_nothing(app, client, played):
    before = stored_rows(app, REVIEW_TABLES)
    resp = sign(client, played)
    message = flashed(client, resp)
    assert "Not signed off" in message and "confirm or dismiss it" in message and "DP1" in message
    assert stored_rows(app, REVIEW_TABLES) == before
    # The page lists what is missing next to the button.
    html = client.get(f"{played['base']}/review").get_data(as_text=True)
    assert 'id="sign-off-missing"' in html and "Before you can sign off" in html


def test_sign_off_refused_until_every_finding_and_every_criterion_is_decided(app, client, played):
    cid = played["contact_id"]
    rv = review_now(app, cid)
    assert len(rv.findings) >= 2 and len(rv.criteria) >= 2
    # Every finding decided, criteria not: still refused, naming a criterion and no finding.
    for f in rv.findings:
        client.post(f"{played['base']}/findings/{f.id}/decision", data={"decision": "confirmed", "seen": 0})
    message = flashed(client, sign(client, played))
    assert "Not signed off" in message and "Criterion" in message and "confirm or dismiss" not in message
    # Every criterion but one judged: refused, naming that one.
    last = rv.criteria[-1].criterion
    for row in rv.criteria[:-1]:
        client.post(f"{played['base']}/criteria/{row.criterion.id}", data={"status": "met", "comment": "Seen."})
    message = flashed(client, sign(client, played))
    assert f"Criterion {last.code}" in message and "1 thing is still to decide" in message
    assert assessments(app, cid) == []
    client.post(f"{played['base']}/criteria/{last.id}", data={"status": "not_covered", "comment": "Not asked."})
    assert "Signed off: version 1" in flashed(client, sign(client, played))
    (a,) = assessments(app, cid)
    assert a.version == 1 and a.outcome == "not_yet_competent" and a.snapshot["criteria"][last.id] == "not_covered"
    assert event_types(app, cid)[-1] == "assessment.signed"


def test_criterion_comments_are_needed_for_not_yet_met_and_for_leaving_the_default(app, client, played):
    base = played["base"]
    assert "comment" in flashed(client, client.post(f"{base}/criteria/verify-identity", data={"status": "not_met"}))
    # The scenario covers it (undecided by default): "not covered" needs a reason too.
    assert "comment" in flashed(client, client.post(f"{base}/criteria/verify-identity", data={"status": "not_covered"}))
    assert "not covered" in flashed(
        client, client.post(f"{base}/criteria/verify-identity", data={"status": "maybe", "comment": "x"})
    )
    client.post(f"{base}/criteria/verify-identity", data={"status": "met"})  # met: no comment needed
    with app.app_context():
        rows = db.session.execute(select(CriterionJudgement)).scalars().all()
        assert [(j.status, j.met) for j in rows] == [("met", True)]


def test_a_criterion_the_scenario_does_not_cover_starts_as_not_covered(app, played):
    rv = review_now(app, played["contact_id"])
    row = rv.criteria[0]
    uncovered = CriterionRow(row.criterion, [], [], None, [], covered=False)
    covered = CriterionRow(row.criterion, [], [], None, [], covered=True)
    assert uncovered.status == "not_covered" and uncovered.defaulted
    assert uncovered.status_label == "Not covered by this observation"
    assert covered.status is None and covered.status_label == "Not yet judged"


def test_competent_despite_an_unmet_criterion_or_a_confirmed_high_finding_needs_a_reason(app, client, played):
    cid = played["contact_id"]
    client.post(f"{played['base']}/criteria/verify-identity", data={"status": "not_met", "comment": "Leading."})
    decide_all(client, app, cid)
    rv = review_now(app, cid)
    assert any("DP1" in why for why in rv.competent_despite)
    message = flashed(client, sign(client, played, "competent"))
    assert "needs a reason" in message and assessments(app, cid) == []
    sign(client, played, "competent", override_reason="Recovered well: asked again openly.")
    (a,) = assessments(app, cid)
    assert a.outcome == "competent" and a.override_reason == "Recovered well: asked again openly."
    html = client.get(f"/reports/contacts/{cid}").get_data(as_text=True)
    assert "Competent despite" in html and "Recovered well: asked again openly." in html
    review_html = client.get(f"{played['base']}/review").get_data(as_text=True)
    assert "Recovered well: asked again openly." in review_html


# --- the lock ---------------------------------------------------------------------------------------------
def test_after_sign_off_nothing_changes_except_by_reopening(app, client, played):
    cid, base = played["contact_id"], played["base"]
    decide_all(client, app, cid)
    sign(client, played)
    rv = review_now(app, cid)
    finding = rv.findings[0]
    before = stored_rows(app, REVIEW_TABLES)
    refused = [  # each posted and its message read in turn
        lambda: client.post(
            f"{base}/findings/{finding.id}/decision", data={"decision": "dismissed", "comment": "x", "seen": 1}
        ),
        lambda: client.post(f"{base}/findings", data={"rule": "tone", "explanation": "Curt.", "events": "1"}),
        lambda: client.post(
            f"{base}/observations", data={"text": "Late thought.", "as_finding": "yes", "back": "review"}
        ),
        lambda: client.post(
            f"{base}/criteria/verify-identity", data={"status": "not_met", "comment": "Changed my mind."}
        ),
        lambda: sign(client, played, "competent"),
    ]
    for post in refused:
        message = flashed(client, post())
        assert "signed off" in message and ("locked" in message or "Reopen" in message), message
    assert stored_rows(app, REVIEW_TABLES) == before
    # The page shows the locked state and no forms that would change it.
    html = client.get(f"{base}/review").get_data(as_text=True)
    assert 'id="locked-state"' in html and "Reopen this review" in html
    assert f"/findings/{finding.id}/decision" not in html and "/criteria/verify-identity" not in html
    # Service level too.
    with app.app_context():
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        contact = db.session.get(Contact, cid)
        with pytest.raises(Conflict, match="locked"):
            reviews.judge_criterion(contact, assessor, "verify-identity", "met", "")
        with pytest.raises(Conflict, match="locked"):
            reviews.decide_finding(db.session.get(Finding, finding.id), assessor, "confirmed", "", 1)
        with pytest.raises(Conflict, match="locked"):
            reviews.observe(contact, assessor, "Note.")
    assert stored_rows(app, REVIEW_TABLES) == before


def test_reopen_needs_a_reason_and_confirmation(app, client, played):
    cid, base = played["contact_id"], played["base"]
    decide_all(client, app, cid)
    sign(client, played)
    before = stored_rows(app, REVIEW_TABLES)
    assert "reason" in flashed(client, client.post(f"{base}/reopen", data={"reason": "  ", "confirm": "yes"}))
    assert "confirm" in flashed(client, client.post(f"{base}/reopen", data={"reason": "Misread DP1."}))
    assert "no longer the signed version" in flashed(
        client, client.post(f"{base}/reopen", data={"reason": "Misread.", "confirm": "yes", "version": "7"})
    )
    assert stored_rows(app, REVIEW_TABLES) == before


def test_reopening_keeps_both_versions_voids_the_acknowledgement_and_the_pdf_shows_the_version_signed(
    app, client, played, login
):
    cid, base = played["contact_id"], played["base"]
    decide_all(client, app, cid)
    sign(client, played)
    client.post(f"{base}/release")
    learner = signed_in(app, "learner1")
    report = learner.get(f"/learner/contacts/{cid}/report").get_data(as_text=True)
    assert 'name="version" value="1"' in report
    learner.post(f"/learner/contacts/{cid}/report/acknowledge", data={"comment": "Understood.", "version": "1"})
    assert assessments(app, cid)[0].acknowledged_at is not None

    resp = client.post(f"{base}/reopen", data={"reason": "DP1 was misjudged.", "confirm": "yes", "version": "1"})
    assert "Reopened: version 1 is voided" in flashed(client, resp)
    (v1,) = assessments(app, cid)
    assert v1.voided_at and v1.void_reason == "DP1 was misjudged." and v1.acknowledged_at  # kept, voided
    # The learner no longer has a report, and cannot sign the voided version.
    assert learner.get(f"/learner/contacts/{cid}/report").status_code == 404
    before = stored_rows(app, REVIEW_TABLES)
    resp = learner.post(f"/learner/contacts/{cid}/report/acknowledge", data={"comment": "Again.", "version": "1"})
    assert (
        resp.status_code == 303
        and "withdrawn" in flashed(learner, resp)
        and "DP1 was misjudged."
        in flashed(
            learner, learner.post(f"/learner/contacts/{cid}/report/acknowledge", data={"comment": "x", "version": "1"})
        )
    )
    assert stored_rows(app, REVIEW_TABLES) == before

    # Unlocked again: change a criterion, sign version 2.
    client.post(f"{base}/criteria/verify-identity", data={"status": "not_met", "comment": "Leading question."})
    assert "Signed off: version 2" in flashed(client, sign(client, played))
    v1, v2 = assessments(app, cid)
    assert (v1.version, v2.version) == (1, 2) and v1.voided_at and v2.voided_at is None
    assert v2.acknowledged_at is None and v2.released_at is None  # the acknowledgement did not carry over
    assert (
        v1.snapshot["criteria"]["verify-identity"] == "met" and v2.snapshot["criteria"]["verify-identity"] == "not_met"
    )
    types = event_types(app, cid)
    assert types.count("assessment.signed") == 2 and types.count("assessment.reopened") == 1
    with app.app_context():
        reopened = db.session.execute(
            select(Event).where(Event.contact_id == cid, Event.type == "assessment.reopened")
        ).scalar_one()
        assert reopened.actor == "assessor" and reopened.data["reason"] == "DP1 was misjudged."

    with app.app_context():
        rv = contact_review(db.session.get(Contact, cid))
        assert [v.version for v in rv.versions] == [1, 2] and [v.version for v in rv.superseded] == [1]
        text = pdf_text(pdf.contact_pdf(rv, compress=False))
        doc = r.review_document(rv)
    assert "(version 2)" in text and "Version 2, signed by" in text
    assert "Version 1 (superseded)" in text and "DP1 was misjudged." in text
    assert "Observation of simulated work (CRM Sandbox)" in text
    assert doc["assessment"]["version"] == 2 and [v["voided"] for v in doc["versions"]] == [True, False]
    html = client.get(f"{base}/review").get_data(as_text=True)
    assert "Version history" in html and "superseded" in html and "DP1 was misjudged." in html
    record = client.get(f"/reports/contacts/{cid}").get_data(as_text=True)
    assert "Version 2, signed by" in record and "Version 1 (superseded)" in record


def test_new_events_are_evidence_the_rules_ignore(app, client, played):
    cid, base = played["contact_id"], played["base"]
    rules_before = {f.key for f in review_now(app, cid).findings if f.source == "rules"}
    decide_all(client, app, cid)
    sign(client, played)
    client.post(f"{base}/reopen", data={"reason": "Second look.", "confirm": "yes"})
    rv = review_now(app, cid)
    assert {f.key for f in rv.findings if f.source == "rules"} == rules_before
    with app.app_context():
        doc = session_document(db.session.get(Contact, cid), rv.events)
    session = parse_session(doc)  # the session reader knows the new types
    assert [e.type for e in session.events][-2:] == ["assessment.signed", "assessment.reopened"]


# --- two tabs -----------------------------------------------------------------------------------------------
def test_two_tabs_signing_at_once_make_one_version(app, client, played):
    decide_all(client, app, played["contact_id"])
    tabs = [signed_in(app, "assessor1") for _ in range(2)]
    results = []

    def go(tab, outcome):
        results.append(sign(tab, played, outcome, override_reason="Fine overall."))

    run_together(go, [(tabs[0], "not_yet_competent"), (tabs[1], "competent")])
    assert len(assessments(app, played["contact_id"])) == 1
    assert all(resp.status_code == 303 for resp in results)


def test_a_sign_off_checks_the_review_as_it_stands_inside_the_lock(app, client, played):
    """Another tab judged a criterion not yet met after this tab loaded the page: "competent" now needs
    a reason, even though the page this tab posted from showed none needed."""
    cid = played["contact_id"]
    decide_all(client, app, cid)
    other = signed_in(app, "assessor1")
    other.post(f"{played['base']}/criteria/verify-identity", data={"status": "not_met", "comment": "Leading."})
    with app.app_context():
        for f in review_now(app, cid).findings:  # and no finding of high severity stands confirmed
            if f.severity == "high":
                other.post(
                    f"{played['base']}/findings/{f.id}/decision",
                    data={"decision": "dismissed", "comment": "Scripted.", "seen": len(f.decisions)},
                )
    assert "needs a reason" in flashed(client, sign(client, played, "competent"))
    assert assessments(app, cid) == []


# --- practice is formative ------------------------------------------------------------------------------------
def test_a_practice_contact_cannot_be_signed_off_competent(app, client, make_user, login, contact_of):
    uid = make_user("learner2", queue=["change-of-address"])
    make_user("assessor1", "assessor")
    cid = contact_of(uid, "change-of-address")  # the learner's own queue: practice
    login("learner2")
    play_change_of_address(app, client, cid)
    client.post("/auth/logout")
    login("assessor1")
    base = f"/assessor/contacts/{cid}"
    decide_all(client, app, cid)
    html = client.get(f"{base}/review").get_data(as_text=True)
    assert 'value="formative"' in html and 'value="competent"' not in html
    for outcome in ("competent", "not_yet_competent"):
        resp = client.post(f"{base}/sign-off", data={"outcome": outcome, "feedback": "Good.", "override_reason": "x"})
        assert "practice contact" in flashed(client, resp) and assessments(app, cid) == []
    with app.app_context():
        contact = db.session.get(Contact, cid)
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        with pytest.raises(ServiceError, match="practice contact"):
            reviews.sign_off(contact, assessor, "competent", "Good.", "x")
    client.post(f"{base}/sign-off", data={"outcome": "formative", "feedback": "Good practice: next, open questions."})
    (a,) = assessments(app, cid)
    assert a.outcome == "formative"
    with app.app_context():
        learner = db.session.get(User, uid)
        rvs = learner_reviews(learner)
        assert r.competence_count(rvs) == 0 and not r.counts_as_competence(rvs[0])
        text = pdf_text(pdf.learner_pdf(learner, rvs, compress=False))
    assert "Formative feedback (practice)" in text and "0 (observed assessments only)" in text


def test_an_assessment_contact_cannot_be_signed_off_as_formative(app, client, played):
    decide_all(client, app, played["contact_id"])
    assert "observed assessment" in flashed(client, sign(client, played, "formative"))
    assert assessments(app, played["contact_id"]) == []


def test_a_refused_sign_off_keeps_what_the_assessor_typed(app, client, played):
    resp = client.post(
        f"{played['base']}/sign-off",
        data={"outcome": "not_yet_competent", "feedback": "Open questions next time, please & thank you."},
    )
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Not signed off" in html
    assert "Open questions next time, please &amp; thank you.</textarea>" in html
    assert 'value="not_yet_competent" required checked' in html


def test_met_with_no_linked_evidence_needs_a_comment(app, client, played):
    rv = review_now(app, played["contact_id"])
    bare = next(row for row in rv.criteria if row.status is None and not row.events)
    url = f"{played['base']}/criteria/{bare.criterion.id}"
    resp = client.post(url, data={"status": "met", "comment": ""})
    assert "no event is linked" in flashed(client, resp)
    assert review_now(app, played["contact_id"]).criteria[rv.criteria.index(bare)].judgement is None
    client.post(url, data={"status": "met", "comment": "Shown in the professional discussion after."})
    assert (
        next(r for r in review_now(app, played["contact_id"]).criteria if r.criterion.id == bare.criterion.id).status
        == "met"
    )
