"""Questioning and professional discussion: the assessor records the questions asked, the learner's
answers in summary and the judgement, linked to knowledge criteria no observation can evidence; the record
is signed with its review (and nothing on it changes after), and it is evidence on the learner's record."""

import html
import re

import pytest

from crm_sandbox.database import write_transaction
from crm_sandbox.events.streams import stream_events, verify_stream
from crm_sandbox.extensions import db
from crm_sandbox.models import Level3Task, User
from crm_sandbox.queries.level3.tasks import task_stream, task_view
from crm_sandbox.queries.review import contact_review
from tests.conftest import flashes
from tests.helpers import signed_in

KNOWLEDGE = ["icqc-key-elements", "icqc-key-principles", "icqc-describe-problem-solving"]


def said(client, resp) -> str:
    assert resp.status_code == 303, resp.status_code
    return html.unescape(" ".join(flashes(client.get(resp.location).get_data(as_text=True))))


@pytest.fixture
def discussion(app, make_user):
    learner = make_user("lead1", queue=["balance-enquiry"])
    make_user("assessor1", "assessor")
    with app.app_context(), write_transaction():
        user = db.session.get(User, learner)
        user.qualification = "icq-l3-cert-cco"
        cohort = user.cohort_id
    assessor = signed_in(app, "assessor1")
    msg = said(
        assessor,
        assessor.post(
            f"/level3/cohorts/{cohort}/discussions",
            data={"learner": learner, "title": "Principles of customer service"},
        ),
    )
    assert msg == "Discussion opened: Principles of customer service."
    with app.app_context():
        task_id = db.session.query(Level3Task).one().id
    return {"learner": learner, "assessor": assessor, "task_id": task_id, "cohort": cohort}


def test_a_recorded_discussion_linked_to_knowledge_criteria_is_signed_with_its_review(app, discussion):
    assessor, task_id = discussion["assessor"], discussion["task_id"]
    # refused: no criterion, or one of another qualification; nothing recorded
    for criteria, why in (([], "at least one criterion"), (["icq3-management-principles"], "learner's qualification")):
        assert why in said(
            assessor,
            assessor.post(
                f"/level3/tasks/{task_id}/questions",
                data={"question": "Q", "answer": "A", "judgement": "met", "criteria": criteria},
            ),
        )
    assert "Record at least one question" in said(
        assessor, assessor.post(f"/level3/tasks/{task_id}/sign", data={"outcome": "competent", "feedback": "x"})
    )
    said(
        assessor,
        assessor.post(
            f"/level3/tasks/{task_id}/questions",
            data={
                "question": "What makes a contact centre's service accessible and responsive?",
                "answer": "Several channels, plain language, answering within the service level; empathy when it goes wrong.",
                "judgement": "met",
                "criteria": ["icqc-key-elements", "icqc-key-principles"],
            },
        ),
    )
    said(
        assessor,
        assessor.post(
            f"/level3/tasks/{task_id}/questions",
            data={
                "question": "Talk me through how you resolve an issue.",
                "answer": "Listen, acknowledge, resolve, then follow up to check it stayed fixed.",
                "judgement": "met",
                "criteria": ["icqc-describe-problem-solving"],
            },
        ),
    )
    with app.app_context():
        view = task_view(db.session.get(Level3Task, task_id))
        assert {c.id for c in view.criteria} == set(KNOWLEDGE)  # the criteria its questions link
        assert all(c.method == "questioning" for c in view.criteria)

    statuses = {f"criterion-{c}": "met" for c in KNOWLEDGE}
    assert (
        "not yet met"
        in said(
            assessor,
            assessor.post(
                f"/level3/tasks/{task_id}/sign",
                data={**statuses, "criterion-icqc-key-principles": "not_met", "outcome": "competent", "feedback": "x"},
            ),
        ).lower()
    )
    said(
        assessor,
        assessor.post(
            f"/level3/tasks/{task_id}/sign",
            data={**statuses, "outcome": "competent", "feedback": "Clear on the principles, with examples."},
        ),
    )
    # signed: locked, and the stream's chain holds
    assert "signed off" in said(
        assessor,
        assessor.post(
            f"/level3/tasks/{task_id}/questions",
            data={"question": "Q", "answer": "A", "judgement": "met", "criteria": ["icqc-key-elements"]},
        ),
    )
    with app.app_context():
        task = db.session.get(Level3Task, task_id)
        assert task.status == "signed" and task.outcome == "competent"
        events = stream_events(task_stream(task_id))
        assert [e.type for e in events] == [
            "task.assigned",
            "discussion.recorded",
            "discussion.recorded",
            "task.signed",
        ]
        assert events[-1].data["criteria"] == dict.fromkeys(KNOWLEDGE, "met") and verify_stream(task_stream(task_id))

    record = re.sub(
        r"\s+", " ", html.unescape(assessor.get(f"/reports/learners/{discussion['learner']}").get_data(as_text=True))
    )
    assert "Listen, acknowledge, resolve, then follow up" in record and "KNW2 Met" in record


def test_knowledge_criteria_start_not_covered_on_an_observed_contact(app, discussion, contact_of):
    """Observing a contact never evidences a questioning criterion: it starts as not covered there."""
    with app.app_context():
        from crm_sandbox.models import Contact

        contact = db.session.get(Contact, contact_of(discussion["learner"], "balance-enquiry"))
        rows = {r.criterion.id: r for r in contact_review(contact).criteria}
        assert all(rows[c].default_status == "not_covered" for c in KNOWLEDGE)


def test_an_edited_discussion_breaks_its_chain(app, discussion):
    said(
        discussion["assessor"],
        discussion["assessor"].post(
            f"/level3/tasks/{discussion['task_id']}/questions",
            data={"question": "Q?", "answer": "A.", "judgement": "met", "criteria": ["icqc-key-elements"]},
        ),
    )
    with app.app_context():
        from sqlalchemy import update

        from crm_sandbox.models import Level3Event

        db.session.execute(update(Level3Event).where(Level3Event.seq == 2).values(actor="learner"))
        db.session.commit()
        assert not verify_stream(task_stream(discussion["task_id"]))
    result = app.test_cli_runner().invoke(args=["verify-log"])
    assert result.exit_code == 1 and f"BROKEN: Level 3 stream task:{discussion['task_id']}" in result.output


def test_the_discussion_is_in_the_learners_signed_evidence_pack(app, discussion):
    import io
    import json
    import zipfile

    from crm_sandbox.admin.packs import verify_pack

    assessor, task_id = discussion["assessor"], discussion["task_id"]
    said(
        assessor,
        assessor.post(
            f"/level3/tasks/{task_id}/questions",
            data={
                "question": "Why does empathy matter?",
                "answer": "It keeps trust when things go wrong.",
                "judgement": "met",
                "criteria": ["icqc-key-principles"],
            },
        ),
    )
    resp = assessor.get(f"/reports/learners/{discussion['learner']}/evidence-pack.zip")
    assert resp.status_code == 200
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        doc = json.loads(zf.read("level3.json"))
    assert doc["format"] == "crm-sandbox/level3@1" and doc["tasks"][0]["chain_ok"] is True
    assert [e["type"] for e in doc["tasks"][0]["events"]] == ["task.assigned", "discussion.recorded"]
    with app.app_context():
        assert verify_pack(resp.data) == []


def test_a_reset_archives_the_level3_work_then_removes_it_and_the_ledger_still_verifies(app, discussion):
    from crm_sandbox import ledger
    from crm_sandbox.admin import archive
    from crm_sandbox.admin.reset import reset_cohort
    from crm_sandbox.models import Level3Event

    said(
        discussion["assessor"],
        discussion["assessor"].post(
            f"/level3/tasks/{discussion['task_id']}/questions",
            data={"question": "Q?", "answer": "A.", "judgement": "met", "criteria": ["icqc-key-elements"]},
        ),
    )
    with app.app_context():
        result = reset_cohort("Test cohort", seed=3)
        assert result.removed["level3_task"] == 1 and result.removed["level3_event"] == 2
        assert db.session.query(Level3Event).count() == 0
        assert ledger.verify().ok
        pack = next(p for p in result.packs if p.learner_username == "lead1")
        data, problems, _ = archive.read_checked(pack)
    import io
    import zipfile

    assert problems == [] and "level3.json" in zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_the_discussion_is_on_the_learners_pdf_record(app, discussion):
    from tests.reporting import pdf_text

    assessor, task_id = discussion["assessor"], discussion["task_id"]
    said(
        assessor,
        assessor.post(
            f"/level3/tasks/{task_id}/questions",
            data={
                "question": "Why does empathy matter?",
                "answer": "It keeps trust when things go wrong.",
                "judgement": "met",
                "criteria": ["icqc-key-principles"],
            },
        ),
    )
    resp = assessor.get(f"/reports/learners/{discussion['learner']}.pdf")
    text = " ".join(pdf_text(resp.data).split())
    assert "Level 3 work" in text and "It keeps trust when things go wrong." in text


def test_erasing_the_learner_leaves_their_level3_evidence_verifiable(app, discussion):
    from crm_sandbox import ledger
    from crm_sandbox.admin import gdpr

    said(
        discussion["assessor"],
        discussion["assessor"].post(
            f"/level3/tasks/{discussion['task_id']}/questions",
            data={"question": "Q?", "answer": "A.", "judgement": "met", "criteria": ["icqc-key-elements"]},
        ),
    )
    with app.app_context():
        assert ledger.verify().ok
        gdpr.erase_learner(discussion["learner"], "lead1")
        report = ledger.verify()
        assert report.ok, report.problems


def test_a_level3_event_cannot_be_changed_or_deleted_through_the_app(app, discussion):
    from crm_sandbox.database import EventImmutableError
    from crm_sandbox.models import Level3Event

    with app.app_context():
        event = db.session.query(Level3Event).first()
        event.actor = "learner"
        with pytest.raises(EventImmutableError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.query(Level3Event).first())
        with pytest.raises(EventImmutableError):
            db.session.commit()


def test_a_signed_discussion_is_reopened_with_a_reason_and_judged_again(app, discussion):
    assessor, task_id = discussion["assessor"], discussion["task_id"]
    said(
        assessor,
        assessor.post(
            f"/level3/tasks/{task_id}/questions",
            data={"question": "Q?", "answer": "A.", "judgement": "met", "criteria": ["icqc-key-elements"]},
        ),
    )
    assert "nothing to reopen" in said(assessor, assessor.post(f"/level3/tasks/{task_id}/reopen", data={"reason": "x"}))
    said(
        assessor,
        assessor.post(
            f"/level3/tasks/{task_id}/sign",
            data={"criterion-icqc-key-elements": "met", "outcome": "competent", "feedback": "Good."},
        ),
    )
    refused = said(assessor, assessor.post(f"/level3/tasks/{task_id}/reopen", data={"reason": " "}))
    assert refused == "The reason for reopening is empty: type something first."
    msg = said(
        assessor, assessor.post(f"/level3/tasks/{task_id}/reopen", data={"reason": "Linked the wrong criterion."})
    )
    assert msg.startswith("Reopened")
    with app.app_context():
        task = db.session.get(Level3Task, task_id)
        view = task_view(task)
        assert task.status == "assigned" and task.outcome is None and view.signed is None
        assert [e.type for e in view.events][-2:] == ["task.signed", "task.reopened"]  # the voided one is kept
    said(
        assessor,
        assessor.post(
            f"/level3/tasks/{task_id}/questions",
            data={"question": "Q2?", "answer": "A2.", "judgement": "met", "criteria": ["icqc-key-principles"]},
        ),
    )
    said(
        assessor,
        assessor.post(
            f"/level3/tasks/{task_id}/sign",
            data={
                "criterion-icqc-key-elements": "met",
                "criterion-icqc-key-principles": "met",
                "outcome": "competent",
                "feedback": "Good, now on both.",
            },
        ),
    )
    with app.app_context():
        assert task_view(db.session.get(Level3Task, task_id)).signed.data["feedback"] == "Good, now on both."
