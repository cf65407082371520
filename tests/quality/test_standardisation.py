"""Blind standardisation: an invited assessor sees no other decision (the others' marks, the original
assessor's, the rules engine's flags) until they submit theirs; marks are submitted once; agreement is
measured with the rules engine as one more rater on breaches; an agreed outcome never changes the record."""

import re

import pytest

from crm_sandbox.errors import Conflict, NotAllowed
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact
from crm_sandbox.models.quality import BREACH, NO_BREACH
from crm_sandbox.operations.quality import standardisation as standardise
from crm_sandbox.queries.quality import standardisation as std
from crm_sandbox.queries.review import assessment_of
from tests.conftest import PASSWORD
from tests.quality.conftest import user
from tests.reporting import pdf_text


def all_marks(contact: Contact, breach: bool, overall: str) -> dict[str, str]:
    marks = {}
    for item in std.marking_items(contact):
        if item.kind == "breach":
            marks[item.key] = BREACH if breach else NO_BREACH
        elif item.kind == "criterion":
            marks[item.key] = "not_covered"
        else:
            marks[item.key] = overall
    return marks


def signed_in(app, username):
    client = app.test_client()
    client.post("/auth/login", data={"username": username, "password": PASSWORD})
    return client


@pytest.fixture
def exercise(app, qa):
    with app.app_context():
        marked = db.session.get(Contact, qa["contacts"]["established:change-of-address"])
        cohort = db.session.get(Cohort, marked.cohort_id)
        with pytest.raises(NotAllowed, match="seen its decision"):  # the original assessor cannot mark it blind
            standardise.create_exercise(cohort, user("iqa1"), "Nope", [marked.id], [user("established").id])
        raters = [user(n).id for n in ("newbie", "senior")]
        found = standardise.create_exercise(cohort, user("iqa1"), "March standardisation", [marked.id], raters)
        return {"id": found.id, "contact": marked.id}


def test_blind_marking_hides_every_other_decision_until_submission(app, qa, exercise):
    cid, eid = exercise["contact"], exercise["id"]
    with app.app_context():
        found = db.session.get(std.StandardisationExercise, eid)
        contact = db.session.get(Contact, cid)
        feedback = assessment_of(contact).feedback
        standardise.submit_marks(found, contact, user("senior"), all_marks(contact, True, "not_yet_competent"))
        with pytest.raises(NotAllowed, match="not invited"):
            standardise.submit_marks(found, contact, user("established"), all_marks(contact, True, "competent"))

    newbie = signed_in(app, "newbie")
    for url in (f"/assessor/contacts/{cid}/review", f"/reports/contacts/{cid}", f"/reports/contacts/{cid}.pdf"):
        refused = newbie.get(url)
        assert refused.status_code == 403, url  # the review, its flags and decisions stay hidden
        assert "marking this contact blind" in refused.get_data(as_text=True)
    page = newbie.get(f"/quality/standardisation/{eid}/contacts/{cid}").get_data(as_text=True)
    assert 'id="marks-form"' in page and 'id="marks-table"' not in page
    for hidden in ("senior", "Rules engine", feedback, "Competent despite", "Observation", "signed off"):
        assert hidden not in page, hidden  # no other rater, no engine flag, no original decision
    assert newbie.get(f"/quality/standardisation/{eid}").status_code == 200
    assert "Disagreements" not in newbie.get(f"/quality/standardisation/{eid}").get_data(as_text=True)
    with app.app_context():
        learner_id, cohort_id = db.session.get(Contact, cid).learner_id, db.session.get(Contact, cid).cohort_id
    closed = (f"/reports/learners/{learner_id}/evidence-pack.zip", f"/reports/cohorts/{cohort_id}/findings.csv")
    for url in closed:  # the signed pack (it must carry every contact) and the cohort's findings list its flags
        refused = newbie.get(url)
        assert refused.status_code == 403, url
        assert "standardisation" in refused.get_data(as_text=True), url
    # the learner's record and its PDF open without the blind contact, saying so, and nothing of it shows
    with app.app_context():
        contact = db.session.get(Contact, cid)
        other = db.session.get(Contact, qa["contacts"]["established:balance-enquiry"])
        blind_title, other_title = contact.title, other.title
    record = newbie.get(f"/reports/learners/{learner_id}")
    assert record.status_code == 200
    page = record.get_data(as_text=True)
    text = pdf_text(newbie.get(f"/reports/learners/{learner_id}.pdf").data)
    for shown in (page, text):
        assert "1 contact(s) left out: you are marking them blind" in " ".join(shown.split())
        assert other_title in shown and blind_title not in shown
        assert not re.search(rf"\bc-{cid}\b", shown) and qa["override_reason"] not in shown  # its id, its decision
        assert "1 opened, 1 signed off" in shown  # the counts cover the other contact only
    assert "evidence-pack.zip" not in page and "findings.csv" not in page  # no button to a refused download
    others = (*closed, f"/reports/learners/{learner_id}", f"/reports/learners/{learner_id}.pdf")
    board = newbie.get(f"/assessor/?cohort={cohort_id}").get_data(as_text=True)
    assert "hidden: you mark it blind" in board  # its flag counts are not on the dashboard either

    with app.app_context():
        contact = db.session.get(Contact, cid)
        form = {f"mark-{k}": v for k, v in all_marks(contact, False, "competent").items()}
    sent = newbie.post(f"/quality/standardisation/{eid}/contacts/{cid}", data=form, follow_redirects=True)
    after = sent.get_data(as_text=True)
    assert "Marks submitted" in after and 'id="marks-table"' in after
    assert "senior" in after and "Rules engine" in after and "Competent" in after  # now everything shows
    again = newbie.post(f"/quality/standardisation/{eid}/contacts/{cid}", data=form, follow_redirects=True)
    assert "already marked this contact" in again.get_data(as_text=True)  # submitted once
    assert newbie.get(f"/assessor/contacts/{cid}/review").status_code == 200  # blind no longer
    assert all(newbie.get(url).status_code == 200 for url in others)
    whole = newbie.get(f"/reports/learners/{learner_id}").get_data(as_text=True)
    assert blind_title in whole and "left out" not in whole and "2 opened, 2 signed off" in whole
    assert re.search(rf"\bc-{cid}\b", whole) and qa["override_reason"] in whole  # what was left out before
    assert "hidden: you mark it blind" not in newbie.get(f"/assessor/?cohort={cohort_id}").get_data(as_text=True)

    with app.app_context():
        results = std.results(db.session.get(std.StandardisationExercise, eid))
        assert results.raters == ["newbie", "senior", std.ENGINE]
        breach = results.agreement["breach"]
        assert breach.raters == 3 and breach.method == "Fleiss' kappa"  # two assessors and the engine
        assert results.agreement["overall"].raters == 2 and results.agreement["overall"].items == 1
        assert results.agreement["overall"].percent == 0.0  # competent against not yet competent
        assert any(d.kind == "overall" for d in results.disagreements)
        with pytest.raises(Conflict):
            standardise.submit_marks(
                db.session.get(std.StandardisationExercise, eid),
                db.session.get(Contact, cid),
                user("newbie"),
                all_marks(db.session.get(Contact, cid), True, "competent"),
            )


def test_the_agreed_outcome_raises_an_action_and_never_changes_the_record(app, qa, exercise):
    with app.app_context():
        found = db.session.get(std.StandardisationExercise, exercise["id"])
        contact = db.session.get(Contact, exercise["contact"])
        before = assessment_of(contact)
        outcome = standardise.record_outcome(found, contact, user("iqa1"), "not_yet_competent", "Revisit DP1.")
        assert outcome.reopen and "reopen the original review" in outcome.actions
        after = assessment_of(contact)
        assert (after.id, after.outcome, after.version) == (before.id, "competent", before.version)
        with pytest.raises(NotAllowed):
            standardise.record_outcome(found, contact, user("newbie"), "competent", "")
    iqa = signed_in(app, "iqa1")
    page = iqa.get(f"/quality/standardisation/{exercise['id']}").get_data(as_text=True)
    assert "action: reopen the original review" in page and "Agreement" in page


def test_an_assessor_not_invited_cannot_open_the_exercise(app, qa, exercise):
    trainee = signed_in(app, "trainee")
    assert trainee.get(f"/quality/standardisation/{exercise['id']}").status_code == 403
    assert trainee.get(f"/assessor/contacts/{exercise['contact']}/review").status_code == 200  # not blind for them
