"""Reports: the PDF and printable observation records, the cohort findings CSV, and who may see them."""

import csv
import io

from sqlalchemy import select

from crm_sandbox.crypto import signing
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, User
from crm_sandbox.queries.review import contact_review, learner_reviews
from crm_sandbox.reports import csv_export, pdf
from tests.conftest import PASSWORD
from tests.reporting import other_cohort_assessor, pdf_text, reviewed  # noqa: F401  (fixture)


def review_of(app, cid):
    return contact_review(db.session.get(Contact, cid))


# --- PDF ------------------------------------------------------------------------------------------------
def test_contact_pdf_is_an_observation_record(app, reviewed):
    with app.app_context():
        rv = review_of(app, reviewed["contact_id"])
        data = pdf.contact_pdf(rv)
        text = pdf_text(data)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    for expected in (
        "Observation record",
        "learner1",
        "assessor1",
        "Test cohort",
        "Change of address",
        "Outcome: Not yet competent",
        "Assessor sign-off",
        "awaiting",
        "Leading verification question",
        "Confirmed by",
        "Timeline",
        "Contact closed",
        "Handling time",
        "DP1",
        "Not yet met",
        "Met",
        "Not covered",
        "Version 1, signed by",
        "Assessment method",
        "Observation of simulated work (CRM Sandbox)",
    ):
        assert expected in text, expected
    # Unicode survives: curly quotes and dashes from the feedback, the pound sign from the learner's message.
    assert "\u201cWhat is your date of birth?\u201d" in text
    assert "£0 fee" in text and "I\u2019ve updated" in text


def test_contact_pdf_shows_decision_history_and_the_learners_acknowledgement(app, client, make_user, login, contact_of):
    from tests.reporting import COMPETENT_DESPITE, observed_assessment, play_change_of_address, review_contact

    uid = make_user("learner1", queue=["change-of-address"])
    make_user("assessor1", "assessor")
    login("learner1")
    cid = contact_of(uid, "change-of-address")
    observed_assessment(app, cid)
    play_change_of_address(app, client, cid)
    review_contact(app, cid, outcome="competent", release=True, acknowledge="Thanks \u2013 I\u2019ll ask openly.")
    with app.app_context():
        rv = review_of(app, cid)
        text = pdf_text(pdf.contact_pdf(rv, compress=False))
    assert "Outcome: Competent" in text
    assert "Competent despite" in text and COMPETENT_DESPITE in text  # the reason is on the record
    assert "Thanks \u2013 I\u2019ll ask openly." in text and "Learner's comment" in text
    assert "earlier: Dismissed by assessor1" in text  # the history, not only the standing decision


def test_learner_pdf_summarises_then_includes_each_contact(app, reviewed):
    with app.app_context():
        learner = db.session.get(User, reviewed["learner_id"])
        data = pdf.learner_pdf(learner, learner_reviews(learner))
        text = pdf_text(data)
    assert data.startswith(b"%PDF-")
    assert "Learner record" in text and "Contacts" in text and "1 opened, 1 signed off" in text
    assert "Observation record" in text and "Not yet competent" in text
    assert text.count("Page ") >= 3


def test_pdf_font_helvetica_is_the_latin1_builtin(app, reviewed):
    app.config["PDF_FONT"] = "helvetica"
    with app.app_context():
        data = pdf.contact_pdf(review_of(app, reviewed["contact_id"]), compress=False)
    text = pdf_text(data)
    assert data.startswith(b"%PDF-") and "Helvetica" in data.decode("latin-1")
    assert "DejaVu" not in data.decode("latin-1")
    assert '"What is your date of birth?"' in text and "£0 fee" in text


# --- CSV ------------------------------------------------------------------------------------------------
def test_cohort_findings_csv_has_a_row_per_finding_with_decisions(app, reviewed):
    with app.app_context():
        cohort = db.session.execute(select(Cohort)).scalar_one()
        rv = review_of(app, reviewed["contact_id"])
        text = csv_export.cohort_findings_csv(cohort)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == csv_export.COLUMNS
    assert {
        "learner",
        "contact",
        "scenario",
        "rule",
        "severity",
        "events",
        "evidence",
        "explanation",
        "reference",
        "decision",
        "decided_by",
        "decided_at",
        "comment",
    } <= set(rows[0])
    assert len(rows) == len(rv.findings) >= 3
    assert {r["contact"] for r in rows} == {f"c-{reviewed['contact_id']}"}
    decided = [r for r in rows if r["decision"] != "undecided"]
    assert decided and all(r["decided_by"] == "assessor1" and r["decided_at"] for r in decided)
    assert all(r["decision"] != "undecided" for r in rows)  # signed off: every finding was decided first
    second = next(r for r in rows if r["earlier_decisions"])
    assert second["decision"] == "confirmed" and "Dismissed by" in second["earlier_decisions"]


def test_csv_injection_is_neutralised(app, reviewed):
    assert csv_export.neutralise('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for start in ("+", "-", "@", "\t", "\r"):
        assert csv_export.neutralise(start + "1+1") == "'" + start + "1+1"
    assert csv_export.neutralise("plain") == "plain" and csv_export.neutralise(None) == ""
    with app.app_context():
        text = csv_export.cohort_findings_csv(db.session.execute(select(Cohort)).scalar_one())
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # The earlier dismissal's comment began with "=" (in earlier_decisions it is mid-cell, so harmless).
    assert any("=HYPERLINK" in c for c in cells)


# --- routes -----------------------------------------------------------------------------------------------
def as_user(app, username):
    client = app.test_client()
    resp = client.post("/auth/login", data={"username": username, "password": PASSWORD})
    assert resp.status_code in (302, 303)
    return client


def test_assessor_gets_every_report_of_their_cohort(app, reviewed):
    client = as_user(app, "assessor1")
    cid, lid = reviewed["contact_id"], reviewed["learner_id"]
    with app.app_context():
        cohort_id = db.session.get(Contact, cid).cohort_id
    page = client.get(f"/reports/contacts/{cid}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Outcome: Not yet competent" in html and "css/print.css" in html and 'media="print"' in html
    resp = client.get(f"/reports/contacts/{cid}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    assert "attachment" in resp.headers["Content-Disposition"] and resp.headers["Cache-Control"] == "no-store"
    assert client.get(f"/reports/learners/{lid}").status_code == 200
    assert client.get(f"/reports/learners/{lid}.pdf").data.startswith(b"%PDF")
    zipped = client.get(f"/reports/learners/{lid}/evidence-pack.zip")
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip"
    csv_resp = client.get(f"/reports/cohorts/{cohort_id}/findings.csv")
    assert csv_resp.status_code == 200 and csv_resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_resp.data.startswith("\ufeff".encode()) and b"leading-verification-question" in csv_resp.data


def test_another_cohorts_assessor_is_refused_with_a_clear_message(app, reviewed):
    other_cohort_assessor(app)
    client = as_user(app, "assessor9")
    cid, lid = reviewed["contact_id"], reviewed["learner_id"]
    with app.app_context():
        cohort_id = db.session.get(Contact, cid).cohort_id
    for url in (
        f"/reports/contacts/{cid}",
        f"/reports/contacts/{cid}.pdf",
        f"/reports/learners/{lid}",
        f"/reports/learners/{lid}.pdf",
        f"/reports/learners/{lid}/evidence-pack.zip",
        f"/reports/cohorts/{cohort_id}/findings.csv",
    ):
        resp = client.get(url)
        assert resp.status_code == 403, url
        assert "another cohort" in resp.get_data(as_text=True), url


def test_trainer_sees_every_cohort(app, reviewed, make_user):
    make_user("trainer1", "trainer", in_cohort=False)
    client = as_user(app, "trainer1")
    assert client.get(f"/reports/learners/{reviewed['learner_id']}").status_code == 200
    assert client.get(f"/reports/contacts/{reviewed['contact_id']}.pdf").status_code == 200


def test_unknown_ids_are_404(app, reviewed):
    client = as_user(app, "assessor1")
    for url in (
        "/reports/contacts/999",
        "/reports/learners/999",
        "/reports/cohorts/999/findings.csv",
        f"/reports/learners/{db_id(app, 'assessor1')}",
    ):  # an assessor is not a learner
        assert client.get(url).status_code == 404, url


def db_id(app, username):
    with app.app_context():
        return db.session.execute(select(User.id).where(User.username == username)).scalar_one()


def test_learner_sees_their_own_report_only_once_released(app, reviewed, make_user):
    from crm_sandbox.operations.review import release

    cid = reviewed["contact_id"]
    learner = as_user(app, "learner1")
    assert learner.get(f"/reports/contacts/{cid}").status_code == 404
    resp = learner.get(f"/reports/contacts/{cid}.pdf")
    assert resp.status_code == 404 and "not been released" in resp.get_data(as_text=True)
    # Learner-level reports, packs and the CSV are for staff.
    assert learner.get(f"/reports/learners/{reviewed['learner_id']}").status_code == 403
    assert learner.get(f"/reports/learners/{reviewed['learner_id']}/evidence-pack.zip").status_code == 403
    with app.app_context():
        contact = db.session.get(Contact, cid)
        release(contact, db.session.get(User, db_id(app, "assessor1")))
        cohort_id = contact.cohort_id
    assert learner.get(f"/reports/cohorts/{cohort_id}/findings.csv").status_code == 403
    assert learner.get(f"/reports/contacts/{cid}").status_code == 200
    assert learner.get(f"/reports/contacts/{cid}.pdf").data.startswith(b"%PDF")
    # Another learner never sees it, released or not.
    make_user("learner2", queue=["balance-enquiry"])
    assert as_user(app, "learner2").get(f"/reports/contacts/{cid}").status_code == 403


def test_public_key_page_shows_the_key_and_how_to_verify(app, client):
    resp = client.get("/reports/public-key")
    html = resp.get_data(as_text=True)
    with app.app_context():
        pem, fp = signing.public_key_pem(), signing.fingerprint()
    assert resp.status_code == 200
    assert pem.splitlines()[1] in html and fp in html and "verify-pack" in html
