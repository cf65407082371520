"""Quality assurance on a seeded cohort (tests/quality/conftest.py): the risk-based sampling plan, IQA
verdicts and the assessor's answers, countersignature of a trainee's decisions, and the reset warning."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest

from crm_sandbox.admin import packs
from crm_sandbox.errors import Conflict, NotAllowed, ServiceError
from crm_sandbox.extensions import db
from crm_sandbox.models import Cohort, Contact, Event
from crm_sandbox.operations import review as review_service
from crm_sandbox.operations.quality.countersign import countersign
from crm_sandbox.operations.quality.verdicts import answer_verdict, record_verdict
from crm_sandbox.quality.sampling import PRIORITY
from crm_sandbox.queries.quality.countersign import provisional
from crm_sandbox.queries.quality.sampling import cohort_plan
from crm_sandbox.queries.quality.verdicts import void
from crm_sandbox.queries.review import assessment_of, contact_review
from crm_sandbox.queries.unfinished import unfinished_work
from crm_sandbox.reports import pdf, quality_report
from tests.conftest import PASSWORD
from tests.quality.conftest import user
from tests.reporting import decide_and_sign, pdf_text

ASSESSORS = ("established", "newbie", "trainee")


def contact(qa, name: str) -> Contact:
    return db.session.get(Contact, qa["contacts"][name])


def test_the_plan_covers_every_assessor_unit_outcome_override_and_dismissal_and_never_self_samples(app, qa):
    with app.app_context():
        iqa = user("iqa1")
        countersigned = contact(qa, "trainee:change-of-address")
        countersign(countersigned, iqa)  # the IQA countersigned it: never theirs to sample
        own = contact(qa, "established:balance-enquiry")  # an IQA who also assesses: their own decision
        review_service.reopen(own, user("established"), "Handing over to the IQA.", True)
        decide_and_sign(own, iqa, outcome="not_yet_competent")

        plan, rows = cohort_plan(db.session.get(Cohort, countersigned.cohort_id), iqa)
        by_contact = {row.contact.id: row for row in rows}
        assert by_contact[countersigned.id].excluded == "you countersigned it"
        assert by_contact[own.id].excluded == "your own decision"
        assert countersigned.id not in plan.reasons and own.id not in plan.reasons
        targets = {(t.kind, t.name): t for t in plan.targets}
        for name in ASSESSORS:  # every assessor sampled, at least the minimum
            assert targets[("assessor", name)].planned >= targets[("assessor", name)].wanted >= 1
        assert targets[("assessor", "trainee")].wanted == 1  # a trainee: every decision (one left to sample)
        kinds = {kind for kind, _ in targets}
        assert {"scenario", "unit", "outcome"} <= kinds
        assert {name for kind, name in targets if kind == "outcome"} == {"competent", "not_yet_competent"}
        assert {name for kind, name in targets if kind == "scenario"} == {"change-of-address", "balance-enquiry"}
        assert all(t.planned >= 1 for (kind, _), t in targets.items() if kind in ("scenario", "unit", "outcome"))
        overrode, dismissed = contact(qa, "established:change-of-address"), contact(qa, "newbie:change-of-address")
        assert PRIORITY["override"] in plan.reasons[overrode.id]
        assert PRIORITY["dismissed_high"] in plan.reasons[dismissed.id]
        for row in rows:  # every override and dismissed high-severity finding is in the sample
            if not row.excluded and (row.candidate.override or row.candidate.dismissed_high):
                assert row.contact.id in plan.reasons
        with pytest.raises(NotAllowed, match="made or countersigned"):
            record_verdict(countersigned, iqa, "agree", "")
        with pytest.raises(NotAllowed, match="made or countersigned"):
            record_verdict(own, iqa, "agree", "")


def test_a_verdict_belongs_to_one_version_and_the_assessor_answers_it(app, qa):
    deadline = date.today() + timedelta(days=14)
    with app.app_context():
        iqa, sampled = user("iqa1"), contact(qa, "newbie:change-of-address")
        with pytest.raises(ServiceError, match="comment"):
            record_verdict(sampled, iqa, "disagree", "", "Reopen it.", deadline)
        with pytest.raises(ServiceError, match="deadline"):
            record_verdict(sampled, iqa, "disagree", "The change before ID&V is a breach.", "Reopen it.", None)
        with pytest.raises(ServiceError, match="passed"):
            record_verdict(sampled, iqa, "disagree", "Breach.", "Reopen it.", date.today() - timedelta(days=1))
        with pytest.raises(NotAllowed):
            record_verdict(sampled, user("senior"), "agree", "")  # only an IQA
        verdict = record_verdict(
            sampled, iqa, "disagree", "The change before ID&V is a breach.", "Reopen it.", deadline
        )
        assert (verdict.version, verdict.deadline, verdict.action) == (1, deadline, "Reopen it.")
        with pytest.raises(Conflict, match="already"):
            record_verdict(sampled, iqa, "agree", "")
        events = [e.type for e in db.session.query(Event).filter_by(contact_id=sampled.id).order_by(Event.seq)]
        assert events[-1] == "iqa.verdict"

        with pytest.raises(NotAllowed):
            answer_verdict(verdict.id, user("established"), "Not mine.")
        answered = answer_verdict(verdict.id, user("newbie"), "Agreed: I will reopen it and confirm the finding.")
        assert answered.answered_by == user("newbie").id
        with pytest.raises(Conflict, match="already answered"):
            answer_verdict(verdict.id, user("newbie"), "Again.")

        other = contact(qa, "established:change-of-address")
        agree = record_verdict(other, iqa, "agree", "")
        review_service.reopen(other, user("established"), "Adding a criterion comment.", True)
        assert void(agree)  # reopening voids the verdict on that version
        with pytest.raises(Conflict, match="void"):
            answer_verdict(agree.id, user("established"), "Thanks.")
        decide_and_sign(other, user("established"), outcome="competent")
        record_verdict(other, iqa, "agree", "")  # the new version can be sampled again


def test_the_iqa_sees_only_their_cohorts_and_the_eqa_only_reads(app, qa, make_user):
    from crm_sandbox.cli import get_or_create_cohort
    from crm_sandbox.database import write_transaction
    from crm_sandbox.operations.cohorts.accounts import create_user

    with app.app_context(), write_transaction():
        create_user("iqa9", PASSWORD, "iqa", cohort=get_or_create_cohort("Another cohort"))
    eqa = make_user("eqa1", "eqa", in_cohort=False)
    from tests.quality.conftest import set_standing

    set_standing(app, eqa, expires_at=qa["now"] + timedelta(days=7))
    cid = qa["contacts"]["newbie:change-of-address"]
    with app.app_context():
        cohort_id = db.session.get(Contact, cid).cohort_id
    outsider = app.test_client()
    outsider.post("/auth/login", data={"username": "iqa9", "password": PASSWORD})
    assert outsider.get(f"/quality/contacts/{cid}").status_code == 403
    assert outsider.get(f"/quality/cohorts/{cohort_id}").status_code == 403
    assert outsider.get(f"/quality/cohorts/{cohort_id}/iqa-report.csv").status_code == 403
    reader = app.test_client()
    reader.post("/auth/login", data={"username": "eqa1", "password": PASSWORD})
    assert reader.get(f"/quality/cohorts/{cohort_id}").status_code == 200
    page = reader.get(f"/quality/contacts/{cid}").get_data(as_text=True)
    assert "Record verdict" not in page  # read-only
    assert reader.post(f"/quality/contacts/{cid}/verdict", data={"verdict": "agree"}).status_code == 403


def test_a_trainees_sign_off_is_provisional_until_countersigned_and_shows_both_signatures(app, qa):
    with app.app_context():
        trainee, senior = user("trainee"), user("senior")
        work = contact(qa, "trainee:balance-enquiry")
        assert provisional(assessment_of(work))
        with pytest.raises(Conflict, match="countersign"):
            review_service.release(work, trainee)
        with pytest.raises(NotAllowed):
            countersign(work, trainee)  # a trainee countersigning (here their own work)
        with pytest.raises(NotAllowed, match="own"):
            countersign(contact(qa, "established:balance-enquiry"), user("established"))  # not a trainee's anyway
        with pytest.raises(Conflict, match="no countersignature"):
            countersign(contact(qa, "established:balance-enquiry"), senior)
        text = pdf_text(pdf.contact_pdf(contact_review(work)))
        assert "provisional" in text and "awaiting" in text

        signed = countersign(work, senior, "Agreed: the outcome stands.")
        assert not provisional(assessment_of(work))
        with pytest.raises(Conflict, match="already countersigned"):
            countersign(work, user("established"))
        review_service.release(work, trainee)
        text = pdf_text(pdf.contact_pdf(contact_review(work)))
        assert "signed by trainee (trainee)" in text and "countersigned by senior (senior)" in text
        assert "provisional" not in text

        learner = work.learner
        with zipfile.ZipFile(io.BytesIO(packs.build_learner_pack(learner))) as pack:
            manifest = json.loads(pack.read("manifest.json"))
            ref = f"c-{work.id}"
            entry = next(s for s in manifest["sign_offs"] if s["contact"] == ref)["signed"]
            assert entry["assessor"] == "trainee" and entry["provisional"] is False
            assert entry["countersigned"]["by"] == "senior" and entry["countersigned"]["version"] == signed.version
            report = pdf_text(pack.read(f"contacts/{ref}/report.pdf"))
            assert "signed by trainee (trainee)" in report and "countersigned by senior (senior)" in report
            other = next(
                s for s in manifest["sign_offs"] if s["contact"] == f"c-{qa['contacts']['trainee:change-of-address']}"
            )
            assert other["signed"]["provisional"] is True and other["signed"]["countersigned"] is None
            listed = {c["contact"]: c for c in manifest["contacts"]} if "contacts" in manifest else {}
            if listed:
                assert listed[ref]["competence_evidence"] is True

        review_service.reopen(work, trainee, "Rethinking the outcome.", True)  # voids both signatures
        decide_and_sign(work, trainee, outcome="not_yet_competent")
        assert provisional(assessment_of(work))
        with pytest.raises(Conflict, match="countersign"):
            review_service.release(work, trainee)
        types = [e.type for e in db.session.query(Event).filter_by(contact_id=work.id).order_by(Event.seq)]
        assert "assessment.countersigned" in types


def test_the_reset_warning_lists_unsampled_and_uncountersigned_work_and_the_report_says_it_all(app, qa):
    with app.app_context():
        cohort_id = contact(qa, "trainee:balance-enquiry").cohort_id
        work = unfinished_work(cohort_id)
        kinds = {c.contact_id: c.kind for c in work.contacts}
        assert kinds[qa["contacts"]["trainee:balance-enquiry"]] == "not_countersigned"
        assert kinds[qa["contacts"]["trainee:change-of-address"]] == "not_countersigned"
        # the qualified assessors' work is waiting for release first; released and acknowledged, never sampled:
        finished = contact(qa, "established:balance-enquiry")
        review_service.release(finished, user("established"))
        review_service.acknowledge(finished, finished.learner, "Thanks.")
        assert {c.contact_id: c.kind for c in unfinished_work(cohort_id).contacts}[finished.id] == "not_sampled"
        record_verdict(finished, user("iqa1"), "agree", "")
        assert finished.id not in {c.contact_id for c in unfinished_work(cohort_id).contacts}

        report = quality_report.build(db.session.get(Cohort, cohort_id), user("iqa1"))
        csv_text = quality_report.report_csv(report)
        assert "Coverage" in csv_text and "Sample and verdicts" in csv_text and "Countersignatures" in csv_text
        assert "provisional: awaiting countersignature" in csv_text and "verdict on version 1: Agree" in csv_text
        assert pdf_text(quality_report.report_pdf(report)).count("IQA report") >= 1


def test_the_iqa_report_is_archived_at_reset_and_the_iqa_can_read_it_after(app, qa):
    from crm_sandbox.admin.reset import reset_cohort

    with app.app_context():
        sampled = contact(qa, "newbie:balance-enquiry")
        record_verdict(sampled, user("iqa1"), "agree", "")
        name = db.session.get(Cohort, sampled.cohort_id).name
        result = reset_cohort(name)
        stored = sorted(p.name for p in result.archive_dir.iterdir() if p.name.startswith("iqa-report"))
        assert stored == ["iqa-report.csv.enc", "iqa-report.pdf.enc"]
        assert not (result.archive_dir / "iqa-report.csv.enc").read_bytes().startswith(b"section")  # sealed
        assert (result.archive_dir / "iqa-report.csv.enc").stat().st_mode & 0o077 == 0
    iqa = app.test_client()
    iqa.post("/auth/login", data={"username": "iqa1", "password": PASSWORD})
    page = iqa.get("/quality/archive").get_data(as_text=True)
    assert name in page
    run = result.archive_dir.name
    csv_text = iqa.get(f"/quality/archive/{run}/iqa-report.csv").get_data(as_text=True)
    assert "verdict on version 1: Agree" in csv_text and "newbie" in csv_text
    assert "IQA report" in pdf_text(iqa.get(f"/quality/archive/{run}/iqa-report.pdf").data)
    assert iqa.get(f"/quality/archive/{run}/iqa-report.exe").status_code == 404


def test_the_learner_never_sees_the_iqa_verdict_on_their_report(app, qa):
    with app.app_context():
        work = contact(qa, "newbie:balance-enquiry")
        record_verdict(work, user("iqa1"), "disagree", "Too generous.", "Reopen it.", date.today() + timedelta(days=3))
        review_service.release(work, user("newbie"))
        learner = work.learner.username
    client = app.test_client()
    client.post("/auth/login", data={"username": learner, "password": PASSWORD})
    page = client.get(f"/learner/contacts/{qa['contacts']['newbie:balance-enquiry']}/report")
    assert page.status_code == 200
    assert "IQA" not in page.get_data(as_text=True) and "Too generous" not in page.get_data(as_text=True)


def test_an_iqa_who_sampled_a_trainees_decision_cannot_then_countersign_it(app, qa):
    """The other order of 'never samples a decision they countersigned': a verdict first, then a countersignature."""
    with app.app_context():
        iqa, work = user("iqa1"), contact(qa, "trainee:balance-enquiry")
        record_verdict(work, iqa, "agree", "")
        with pytest.raises(NotAllowed, match="sampled"):
            countersign(work, iqa)
        assert provisional(assessment_of(work))  # still awaiting a qualified assessor who did not sample it
        countersign(work, user("senior"))
        assert not provisional(assessment_of(work))
