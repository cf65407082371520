"""Practice and assessment kept apart (issue 14, item 6).

A contact's mode is fixed when the trainer assigns it; coaching tips never show on an observed assessment,
whatever the cohort's practice mode; every screen, report, PDF, pack and export says which mode a contact
was; and only observed assessments count as evidence of competence in a learner's summary.
"""

import ast
import csv
import io
import json
import re
import zipfile
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.formatting import MODES, mode_label
from crm_sandbox.models import Assessment, Cohort, Contact, Finding
from crm_sandbox.operations.cohorts import assignments
from crm_sandbox.reports import records
from tests.helpers import signed_in

PRACTICE, ASSESSMENT = "Practice (formative)", "Observed assessment"
SCENARIO = "change-of-address"
BREACH = "change-before-verification"  # a change of address before ID&V: a tip on a practice contact
PACKAGE = Path(__file__).resolve().parents[1] / "crm_sandbox"


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def twins(app, cohort, make_user):
    """learner1 has two contacts of the same scenario, assigned by the trainer: a practice one (position 1)
    and an observed assessment observed by assessor1 (position 2), with the cohort's practice mode ON."""
    learner = make_user("learner1")
    assessor = make_user("assessor1", "assessor")
    make_user("trainer1", "trainer", in_cohort=False)
    with app.app_context(), write_transaction():
        c = db.session.get(Cohort, cohort)
        c.policy = {**c.policy, "practice_mode": True}
    trainer = signed_in(app, "trainer1")
    for mode, extra in (("practice", {}), ("assessment", {"assessor_id": str(assessor)})):
        resp = trainer.post(
            f"/trainer/cohorts/{cohort}/assign",
            data={"learner": str(learner), "scenarios": [SCENARIO], "mode": mode, **extra},
        )
        assert resp.status_code in (302, 303)
    with app.app_context():
        contacts = db.session.execute(
            select(Contact).where(Contact.learner_id == learner).order_by(Contact.position)
        ).scalars()
        ids = {c.mode: c.id for c in contacts}
    assert set(ids) == {"practice", "assessment"}
    return SimpleNamespace(
        learner=learner,
        assessor=assessor,
        cohort=cohort,
        practice=ids["practice"],
        assessment=ids["assessment"],
        trainer=trainer,
        client=signed_in(app, "learner1"),
    )


def change_before_verification(client, cid: int) -> None:
    """Take the contact and change the address before any ID&V: the rules flag it at once."""
    assert client.post(f"/learner/contacts/{cid}/open").status_code == 303
    client.post(f"/learner/contacts/{cid}/details", data={"field": "address_line1", "value": "3 Park Grove"})


def active_rules(app, cid: int) -> set[str]:
    with app.app_context():
        return set(db.session.execute(select(Finding.rule).where(Finding.contact_id == cid, Finding.active)).scalars())


# --- tips -------------------------------------------------------------------------------------------------
def test_an_assessment_contact_shows_no_tips_while_its_practice_twin_does(app, twins):
    client = twins.client
    for cid in (twins.practice, twins.assessment):
        change_before_verification(client, cid)
        assert BREACH in active_rules(app, cid)  # the same breach is recorded on both
        with app.app_context():
            assert db.session.get(Contact, cid).policy["practice_mode"] is True  # practice mode on for both

    practice_page = client.get(f"/learner/contacts/{twins.practice}").get_data(as_text=True)
    practice_poll = client.get(f"/learner/contacts/{twins.practice}/updates").get_json()
    assert 'id="tips"' in practice_page and "Coaching tips" in practice_page
    assert practice_poll["practice"] is True and practice_poll["mode"] == "practice"
    assert BREACH in {t["rule"] for t in practice_poll["tips"]}
    tip_text = practice_poll["tips"][0]["explanation"]
    assert tip_text in unescape(practice_page)

    assessment_page = client.get(f"/learner/contacts/{twins.assessment}").get_data(as_text=True)
    assessment_poll = client.get(f"/learner/contacts/{twins.assessment}/updates").get_json()
    assert 'id="tips"' not in assessment_page and "Coaching tips" not in assessment_page
    assert "tips-list" not in assessment_page and tip_text not in unescape(assessment_page)
    assert assessment_poll["tips"] == [] and assessment_poll["practice"] is False
    assert assessment_poll["mode"] == "assessment"
    # Still none after the contact closes (the poll and page read the same workspace).
    client.post(f"/learner/contacts/{twins.assessment}/close", data={"outcome": "resolved", "resolved": "yes"})
    assert client.get(f"/learner/contacts/{twins.assessment}/updates").get_json()["tips"] == []


def test_practice_mode_off_shows_no_tips_on_practice_contacts_either(app, twins):
    with app.app_context(), write_transaction():
        c = db.session.get(Cohort, twins.cohort)
        c.policy = {**c.policy, "practice_mode": False}
    change_before_verification(twins.client, twins.practice)  # taking it copies the cohort's policy now
    assert BREACH in active_rules(app, twins.practice)
    poll = twins.client.get(f"/learner/contacts/{twins.practice}/updates").get_json()
    assert poll["tips"] == [] and poll["practice"] is False


# --- the mode is fixed when assigned -----------------------------------------------------------------------
def test_enrolment_queues_are_practice_and_an_assignment_fixes_its_mode(app, cohort, make_user):
    learner = make_user("learner2", queue=["balance-enquiry"])  # the queue made with the account
    assessor = make_user("assessor2", "assessor")
    with app.app_context():
        assert db.session.execute(select(Contact.mode).where(Contact.learner_id == learner)).scalars().all() == [
            "practice"
        ]
        made = assignments.assign(
            cohort, ["balance-enquiry"], learner_id=learner, mode="assessment", assessor_id=assessor
        )
        assert [(c.mode, c.assessor_id) for c in made] == [("assessment", assessor)]
        # Assigning again in the other mode is a new contact: the first keeps its mode.
        again = assignments.assign(cohort, ["balance-enquiry"], learner_id=learner, mode="practice")
        db.session.expire_all()
        assert db.session.get(Contact, made[0].id).mode == "assessment"
        assert db.session.get(Contact, again[0].id).mode == "practice"


def test_nothing_but_queues_add_contact_sets_a_contacts_mode():
    """No route or operation changes a contact's mode after it is made: nothing assigns ``.mode``, calls
    ``setattr(…, "mode", …)`` or updates the contact table in bulk, and only ``queues.add_contact`` makes a
    ``Contact`` (with its mode)."""
    writers, makers = [], []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        where = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                writers += [where for t in targets if isinstance(t, ast.Attribute) and t.attr == "mode"]
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                args = [getattr(a, "id", getattr(a, "value", None)) for a in node.args]
                if name == "Contact":
                    makers.append(where)
                if (name == "setattr" and "mode" in args) or (name == "update" and "Contact" in args):
                    writers.append(where)
    assert writers == []
    assert makers == ["operations/cohorts/queues.py"]


# --- every screen, report, PDF, pack and export labels the mode ----------------------------------------------
@pytest.fixture
def played(app, twins):
    """Both twins played (the breach, then closed); the practice one reviewed and signed off before the
    fix as "competent" (the issue's case), the assessment one signed off competent."""
    for cid in (twins.practice, twins.assessment):
        change_before_verification(twins.client, cid)
        twins.client.post(f"/learner/contacts/{cid}/close", data={"outcome": "resolved", "resolved": "yes"})
    with app.app_context(), write_transaction():
        for cid in (twins.practice, twins.assessment):
            db.session.add(
                Assessment(contact_id=cid, assessor_id=twins.assessor, outcome="competent", feedback="Good.")
            )
    twins.staff = signed_in(app, "assessor1")
    return twins


def badge(mode: str) -> str:
    return f'<span class="mode mode-{mode}" data-mode="{mode}"'


def one_contact_page(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


ONE_CONTACT_SCREENS = [  # (screen, who looks, url for contact id)
    ("learner desk", "client", "/learner/contacts/{}"),
    ("assessor observe page", "staff", "/assessor/contacts/{}/observe"),
    ("assessor review page", "staff", "/assessor/contacts/{}/review"),
    ("printable observation record", "staff", "/reports/contacts/{}"),
]


@pytest.mark.parametrize("screen, who, url", ONE_CONTACT_SCREENS, ids=[s[0] for s in ONE_CONTACT_SCREENS])
def test_each_contact_screen_labels_its_own_mode(played, screen, who, url):
    client = getattr(played, who)
    for mode, other in (("practice", "assessment"), ("assessment", "practice")):
        html = one_contact_page(client, url.format(getattr(played, mode)))
        if screen == "learner desk":  # the desk lists the queue too: the header's badge is this contact's
            header = html.split('id="contact-mode">', 1)[1][:300]
            assert badge(mode) in header and badge(other) not in header, (screen, mode)
        else:
            assert badge(mode) in html and badge(other) not in html, (screen, mode)
        assert mode_label(mode) in html


LISTINGS = [  # (screen, who looks, url, how a contact's row is found)
    ("learner queue", "client", "/learner/", r'<tr>(?:(?!</tr>).)*?/learner/contacts/{}"(?:(?!</tr>).)*?</tr>'),
    (
        "assessor dashboard",
        "staff",
        "/assessor/",
        r"<tr>(?:(?!</tr>).)*?/assessor/contacts/{}/review(?:(?!</tr>).)*?</tr>",
    ),
    (
        "learner record",
        "staff",
        "/reports/learners/{learner}",
        r'<tr>(?:(?!</tr>).)*?href="#contact-{}"(?:(?!</tr>).)*?</tr>',
    ),
]


@pytest.mark.parametrize("screen, who, url, row", LISTINGS, ids=[s[0] for s in LISTINGS])
def test_each_listing_labels_every_contacts_mode(played, screen, who, url, row):
    html = one_contact_page(getattr(played, who), url.format(learner=played.learner))
    for mode, other in (("practice", "assessment"), ("assessment", "practice")):
        rows = re.findall(row.format(getattr(played, mode)), html, re.S)
        assert rows, (screen, mode)
        for found in rows:
            assert badge(mode) in found and badge(other) not in found, (screen, mode, found)


def test_the_trainers_cohort_page_labels_each_assigned_contact(played):
    html = one_contact_page(played.trainer, f"/trainer/cohorts/{played.cohort}")
    assert re.search(r"1\. Change of address</span> " + re.escape(badge("practice")), html)
    assert re.search(r"2\. Change of address</span> " + re.escape(badge("assessment")), html)
    assert "coaching tips on practice contacts (never on an observed assessment)" in html


def test_the_learner_record_counts_only_observed_assessments_as_competence(played):
    html = one_contact_page(played.staff, f"/reports/learners/{played.learner}")
    assert "<dt>Competent</dt><dd>1 (observed assessments only)</dd>" in html
    assert "<dt>Practice reviewed</dt><dd>1 (formative feedback, not evidence of competence)</dd>" in html
    assert "Competent (formative)" in html  # the practice contact's outcome, never plain "Competent"
    text = pdf_text(played.staff.get(f"/reports/learners/{played.learner}.pdf").data)
    assert "Competent 1 (observed assessments only)" in text
    assert "Practice reviewed 1 (formative feedback, not evidence of competence)" in text
    assert f"Mode: {ASSESSMENT}" in text and f"Mode: {PRACTICE}" in text


@pytest.mark.parametrize("mode, other", [("practice", "assessment"), ("assessment", "practice")])
def test_the_contact_pdf_states_the_mode(played, mode, other):
    text = pdf_text(played.staff.get(f"/reports/contacts/{getattr(played, mode)}.pdf").data)
    assert f"Mode: {mode_label(mode)}" in text and f"Mode: {mode_label(other)}" not in text
    if mode == "practice":
        assert "not evidence of competence" in text


def test_the_evidence_pack_labels_each_contact_in_its_manifest_and_files(played):
    resp = played.staff.get(f"/reports/learners/{played.learner}/evidence-pack.zip")
    assert resp.status_code == 200
    zf = zipfile.ZipFile(io.BytesIO(resp.data))
    manifest = json.loads(zf.read("manifest.json"))
    index = {e["contact"]: e for e in manifest["contacts"]}
    for mode in ("practice", "assessment"):
        ref = f"c-{getattr(played, mode)}"
        entry = index[ref]
        assert entry["mode"] == mode and entry["mode_label"] == mode_label(mode)
        assert entry["competence_evidence"] is (mode == "assessment")
        assert json.loads(zf.read(f"contacts/{ref}/session.json"))["contact"]["mode"] == mode
        assert json.loads(zf.read(f"contacts/{ref}/review.json"))["mode"] == mode
        assert f"Mode: {mode_label(mode)}" in pdf_text(zf.read(f"contacts/{ref}/report.pdf"))
    assert index[f"c-{played.practice}"]["outcome_label"] == "Competent (formative)"
    learner_pdf = pdf_text(zf.read("learner-report.pdf"))
    assert f"Mode: {PRACTICE}" in learner_pdf and f"Mode: {ASSESSMENT}" in learner_pdf


def test_the_findings_csv_and_the_session_export_carry_the_mode(app, runner, played):
    rows = list(csv.DictReader(io.StringIO(played.staff.get(f"/reports/cohorts/{played.cohort}/findings.csv").text)))
    modes = {(r["contact"], r["mode"]) for r in rows}
    assert (f"c-{played.practice}", "practice") in modes and (f"c-{played.assessment}", "assessment") in modes
    assert len(modes) == 2  # one mode per contact
    for mode in ("practice", "assessment"):
        result = runner.invoke(args=["export-session", str(getattr(played, mode))])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["contact"]["mode"] == mode


# --- the summary counts only observed assessments ------------------------------------------------------------
def fake_review(mode: str, outcome: str | None) -> SimpleNamespace:
    # signed by a qualified assessor (an empty snapshot: no countersignature needed)
    assessment = SimpleNamespace(outcome=outcome, snapshot={}) if outcome else None
    return SimpleNamespace(contact=SimpleNamespace(mode=mode), assessment=assessment)


@pytest.mark.parametrize(
    "contacts, expected",
    [
        ([], (0, 0, 0, 0)),
        ([("practice", "competent")], (0, 0, 0, 1)),
        ([("practice", "competent"), ("practice", "not_yet_competent"), ("practice", None)], (0, 0, 0, 2)),
        ([("assessment", "competent"), ("practice", "competent")], (1, 1, 0, 1)),
        ([("assessment", "not_yet_competent"), ("assessment", "competent"), ("assessment", None)], (2, 1, 1, 0)),
    ],
)
def test_competence_summary_counts_only_signed_off_observed_assessments(contacts, expected):
    summary = records.competence_summary([fake_review(m, o) for m, o in contacts])  # type: ignore[misc]
    assert (summary.assessments_signed, summary.competent, summary.not_yet_competent, summary.practice_reviewed) == (
        expected
    )


@pytest.mark.parametrize(
    "mode, outcome, shown",
    [
        ("practice", "competent", "Competent (formative)"),
        ("practice", "not_yet_competent", "Not yet competent (formative)"),
        ("practice", None, "Not yet assessed"),
        ("assessment", "competent", "Competent"),
        ("assessment", None, "Not yet assessed"),
    ],
)
def test_a_listed_practice_outcome_is_marked_formative(mode, outcome, shown):
    assert records.listed_outcome(fake_review(mode, outcome)) == shown  # type: ignore[arg-type]


def test_one_wording_of_the_modes():
    assert MODES == {"practice": PRACTICE, "assessment": ASSESSMENT}
    assert assignments.MODES is MODES
