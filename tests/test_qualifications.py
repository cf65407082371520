"""Each learner is registered on one qualification: the cohort's (the default Level 2 NVQ unless a trainer
changes it) or their own, set in the trainer console or by the CSV import; the review, the HTML report
and the PDF show that qualification's criteria grouped by unit, with each criterion's source quoted."""

import html
import re

import pytest
from sqlalchemy import select

from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, User
from crm_sandbox.queries.review import contact_review
from crm_sandbox.reports import pdf
from tests.conftest import flashes
from tests.reporting import pdf_text, reviewed  # noqa: F401  (fixture)

L2 = "iCQ Level 2 NVQ Certificate in Contact Centre Operations (RQF)"
L3 = "iCQ Level 3 NVQ Diploma in Contact Centre Operations (RQF)"
CYQ = "CYQ Level 2 NVQ Certificate in Customer Service (QCF)"


@pytest.fixture
def trainer(client, make_user, login):
    make_user("trainer1", "trainer", in_cohort=False)
    login("trainer1")
    return client


def said(client, resp) -> str:
    assert resp.status_code == 303, resp.status_code
    return html.unescape(" ".join(flashes(client.get(resp.location).get_data(as_text=True))))


def stored(app, user_id=None, cohort_id=None):
    with app.app_context():
        if user_id:
            return db.session.get(User, user_id).qualification
        return db.session.get(Cohort, cohort_id).qualification


def test_a_cohort_starts_on_the_default_and_the_trainer_changes_it(app, trainer, cohort):
    assert stored(app, cohort_id=cohort) == "icq-l2-nvq-cco"
    page = html.unescape(trainer.get(f"/trainer/cohorts/{cohort}").get_data(as_text=True))
    assert f"Learners are registered on {L2}" in re.sub(r"<[^>]+>", "", page)
    assert "icq-l3-nvq-cco" in page and CYQ in page  # every qualification is offered, with its id
    msg = said(
        trainer, trainer.post(f"/trainer/cohorts/{cohort}/qualification", data={"qualification": "icq-l3-nvq-cco"})
    )
    assert f"now registered on {L3}" in msg and stored(app, cohort_id=cohort) == "icq-l3-nvq-cco"


@pytest.mark.parametrize("value", ["", "icq-l9-nvq", "x" * 10_000, "<script>"])
def test_an_unknown_qualification_is_refused_and_nothing_changes(app, trainer, cohort, make_user, value):
    learner = make_user("learner1")
    msg = said(trainer, trainer.post(f"/trainer/cohorts/{cohort}/qualification", data={"qualification": value}))
    assert "Choose a qualification from the list" in msg and stored(app, cohort_id=cohort) == "icq-l2-nvq-cco"
    if value:  # for a learner, an empty choice means "the cohort's"
        msg = said(trainer, trainer.post(f"/trainer/users/{learner}/qualification", data={"qualification": value}))
        assert "Choose a qualification from the list" in msg and stored(app, user_id=learner) is None


def test_a_learner_is_registered_on_their_own_and_back_on_the_cohorts(app, trainer, cohort, make_user):
    learner, assessor = make_user("learner1"), make_user("assessor1", "assessor")
    msg = said(trainer, trainer.post(f"/trainer/users/{learner}/qualification", data={"qualification": CYQ.lower()}))
    assert msg == f"learner1 is now registered on {CYQ}." and stored(app, user_id=learner) == "cyq-l2-nvq-cs"
    page = trainer.get(f"/trainer/cohorts/{cohort}").get_data(as_text=True)
    assert re.search(r'<option value="cyq-l2-nvq-cs" selected>', page)
    msg = said(trainer, trainer.post(f"/trainer/users/{learner}/qualification", data={"qualification": "cohort"}))
    assert (
        msg == f"learner1 is now registered on the cohort's qualification, {L2}."
        and stored(app, user_id=learner) is None
    )
    msg = said(
        trainer, trainer.post(f"/trainer/users/{assessor}/qualification", data={"qualification": "cyq-l2-nvq-cs"})
    )
    assert "Only a learner is registered on a qualification" in msg and stored(app, user_id=assessor) is None
    assert trainer.post("/trainer/users/99999/qualification", data={"qualification": "cohort"}).status_code == 404


def test_the_csv_import_may_carry_a_learners_qualification(app, trainer, cohort):
    bad = (
        "username,display_name,role,qualification\nann,Ann,learner,icq-l9\nbob,Bob,assessor,icq-l3-nvq-cco\n"
    ).encode()
    resp = trainer.post(f"/trainer/cohorts/{cohort}/import", data={"file": (__import__("io").BytesIO(bad), "u.csv")})
    msg = said(trainer, resp)
    assert "Line 2: unknown qualification 'icq-l9'" in msg and "Line 3: only a learner" in msg
    good = (
        f"username,display_name,role,qualification\nann,Ann,learner,icq-l3-nvq-cco\nbea,Bea,learner,{CYQ}\ncal,Cal,learner,\n"
    ).encode()
    resp = trainer.post(f"/trainer/cohorts/{cohort}/import", data={"file": (__import__("io").BytesIO(good), "u.csv")})
    assert resp.status_code == 200
    with app.app_context():
        got = dict(db.session.execute(select(User.username, User.qualification).where(User.role == "learner")).all())
    assert got == {"ann": "icq-l3-nvq-cco", "bea": "cyq-l2-nvq-cs", "cal": None}


def test_review_report_and_pdf_show_the_qualification_units_and_quotes(app, client, reviewed, make_user, login):
    cid = reviewed["contact_id"]  # change-of-address: covers no escalation
    login("assessor1")
    page = html.unescape(client.get(f"/assessor/contacts/{cid}/review").get_data(as_text=True))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert f"is registered on {L2}" in text
    assert "Unit: Support customers using on-line customer services" in text
    assert (
        "“Evidence of following escalation procedures when an issue is beyond the learner's remit to resolve.”" in text
    )
    escalation = page.split('id="criterion-escalation-procedure"', 1)[1].split("</article>", 1)[0]
    assert "Not covered by this observation" in escalation
    logging = page.split('id="criterion-contemporaneous-logging"', 1)[1].split("</article>", 1)[0]
    assert "Not covered by this observation" not in logging
    with app.app_context():
        learner = db.session.get(User, reviewed["learner_id"])
        learner.qualification = "icq-l3-nvq-cco"
        db.session.commit()
        data = pdf.contact_pdf(contact_review(db.session.get(Contact, cid)), compress=False)
    words = re.sub(r"\s+", " ", pdf_text(data))
    assert L3 in words and "Unit: Maintain customer support operations in a contact centre" in words
    assert "documenting the investigation process" in words  # the quote, in full in the PDF
    # judged earlier under the Level 2 NVQ: still on the record, under its own unit
    assert "Unit: Support customers using on-line customer services" in words and "judged under" in words
    page = html.unescape(client.get(f"/assessor/contacts/{cid}/review").get_data(as_text=True))
    assert L3 in page and "Award credit for showing how compliance is embedded in daily operations" in page
