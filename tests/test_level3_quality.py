"""A Level 3 quality review task end to end: a trainer assigns a learner (as team leader) a seeded example
contact with planted flaws and a closed contact of another learner who opted in; the reviewer sees the
transcripts with names and personal details removed, scores them on the scorecard with coaching feedback;
once submitted, the flaws found and missed are shown against the rules' findings and the trainer's
reference scoring; the assessor signs it off; it is evidence on the learner's record. An opted-out
learner's contacts are never offered, and a withdrawn opt-in hides a contact already assigned."""

import html
import re

import pytest

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Level3Task, User
from crm_sandbox.operations import review
from crm_sandbox.operations.desk.conversation import send_message
from crm_sandbox.operations.desk.lifecycle import close_contact, open_contact
from crm_sandbox.queries.level3.consent import reviewable_contacts
from crm_sandbox.queries.level3.tasks import task_view
from tests.conftest import flashes
from tests.helpers import signed_in

SAMPLE = "sample:sample-address-takeover"


def text_of(resp) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True))).split())


def said(client, resp) -> str:
    assert resp.status_code == 303, resp.status_code
    return html.unescape(" ".join(flashes(client.get(resp.location).get_data(as_text=True))))


def closed_contact(app, user_id: int, contact_id: int, greeting: str) -> None:
    with app.app_context():
        open_contact(db.session.get(Contact, contact_id), db.session.get(User, user_id))
        send_message(db.session.get(Contact, contact_id), db.session.get(User, user_id), greeting)
        close_contact(db.session.get(Contact, contact_id), db.session.get(User, user_id), "information-given", "yes")


@pytest.fixture
def team(app, make_user, contact_of, cohort):
    ids = {
        "lead": make_user("lead1", queue=["balance-enquiry"]),
        "agent": make_user("agent1", queue=["balance-enquiry"]),
        "quiet": make_user("quiet1", queue=["balance-enquiry"]),
        "trainer": make_user("trainer1", "trainer", in_cohort=False),
        "assessor": make_user("assessor1", "assessor"),
    }
    with app.app_context(), write_transaction():
        db.session.get(User, ids["lead"]).qualification = "icq-l3-nvq-cco"
        names = {k: (u.display_name, u.username) for k in ("agent", "quiet") for u in [db.session.get(User, ids[k])]}
    for key in ("lead", "agent", "quiet"):
        cid = contact_of(ids[key], "balance-enquiry")
        with app.app_context():
            surname = db.session.get(Contact, cid).customer.last_name
        ids[f"{key}_contact"], ids[f"{key}_surname"] = cid, surname
        closed_contact(app, ids[key], cid, f"Good morning Mr {surname}, this is {key}1 speaking.")
    ids["names"] = names
    return ids


def test_a_quality_review_task_end_to_end(app, team):
    agent, trainer, lead = signed_in(app, "agent1"), signed_in(app, "trainer1"), signed_in(app, "lead1")
    assert "opted in" in said(agent, agent.post("/level3/consent", data={"give": "yes"}))
    with app.app_context():
        cohort_id = db.session.get(User, team["lead"]).cohort_id
        offered = {c.id for c in reviewable_contacts(cohort_id, team["lead"])}
        # the opted-in agent's closed contact is offered; never the opted-out learner's, never one's own
        assert offered == {team["agent_contact"]}
        review.observe(
            db.session.get(Contact, team["agent_contact"]),
            db.session.get(User, team["assessor"]),
            "PRIVATE assessor note on agent1",
        )

    page = text_of(trainer.get(f"/level3/cohorts/{cohort_id}"))
    assert f"Contact {team['agent_contact']}" in page and f"Contact {team['quiet_contact']}" not in page

    # bad assignments are refused, with a reason and nothing made
    for item, why in (
        (f"contact:{team['quiet_contact']}", "has not opted in"),
        (f"contact:{team['lead_contact']}", "never reviews their own"),
        ("sample:nope", "does not exist"),
        ("contact:\u00b2", "not in this cohort"),  # a superscript two: a digit to isdigit(), not a number
        ("contact:99999999999999999999999", "not in this cohort"),  # longer than a database integer
    ):
        msg = said(
            trainer,
            trainer.post(
                f"/level3/cohorts/{cohort_id}/assign",
                data={
                    "learner": team["lead"],
                    "kind": "quality_review",
                    "scorecard": "contact-quality",
                    "items": [item],
                },
            ),
        )
        assert why in msg
    with app.app_context():
        assert db.session.query(Level3Task).count() == 0

    msg = said(
        trainer,
        trainer.post(
            f"/level3/cohorts/{cohort_id}/assign",
            data={
                "learner": team["lead"],
                "kind": "quality_review",
                "scorecard": "contact-quality",
                "items": [SAMPLE, f"contact:{team['agent_contact']}"],
            },
        ),
    )
    assert "Task assigned to lead1" in msg
    # the trainer's reference scoring of the agent's contact: all met but the closing confirmation
    everything = ["greeting", "open-idv", "need", "accurate", "authority", "tone", "notes"]
    with app.app_context():
        task_id = db.session.query(Level3Task).one().id
    assert "Make a reference scoring of this contact" in text_of(trainer.get(f"/level3/tasks/{task_id}"))
    resp = trainer.post(
        f"/level3/contacts/{team['agent_contact']}/reference",
        data={"scorecard": "contact-quality", "met": everything, "task": task_id},
    )
    assert resp.location.endswith(f"/level3/tasks/{task_id}") and "Reference scoring saved" in said(trainer, resp)

    # the reviewer sees transcripts without names or personal details, and nothing of the comparison yet
    page = text_of(lead.get(f"/level3/tasks/{task_id}"))
    assert "Agent A" in page and "Agent 2" in page and "Good morning Mr [name], this is [agent] speaking." in page
    for secret in (
        "Okafor",
        "Maureen",
        "19/07/1961",
        "maureen.okafor",
        team["agent_surname"],
        "agent1",
        team["names"]["agent"][0],
        "PRIVATE assessor note",
    ):
        assert secret not in page, secret
    assert "The trainer's reference scoring" not in page

    # scoring: on the example, the ID&V breach is caught but the missing note is missed
    sample_met = ["greeting", "need", "accurate", "authority", "tone", "notes"]
    msg = said(
        lead,
        lead.post(
            f"/level3/tasks/{task_id}/score",
            data={
                "item": SAMPLE,
                "met": sample_met,
                "auto_fail": ["idv-breach"],
                "feedback": "Ask open questions: never read the date of birth out. Verify before changing anything.",
            },
        ),
    )
    assert msg == "Scored: 0%."
    assert "Score every contact" in said(lead, lead.post(f"/level3/tasks/{task_id}/submit"))
    said(
        lead,
        lead.post(
            f"/level3/tasks/{task_id}/score",
            data={
                "item": f"contact:{team['agent_contact']}",
                "met": everything + ["confirm"],
                "auto_fail": [],
                "feedback": "A warm, clear greeting. Keep confirming the customer's understanding before you close.",
            },
        ),
    )
    assert "Submitted" in said(lead, lead.post(f"/level3/tasks/{task_id}/submit"))

    with app.app_context():
        view = task_view(db.session.get(Level3Task, task_id))
        sample, contact = view.items
        vs_reference, vs_rules = (
            sample.versus(sample.reference, view.card),
            sample.versus(sample.rules_scoring, view.card),
        )
        assert vs_reference.found == ["confirm", "idv-breach", "open-idv"] and vs_reference.missed == ["notes"]
        assert {"change-before-verification", "leading-verification-question", "missing-log"} <= sample.rules
        assert "notes" in vs_rules.missed and "idv-breach" in vs_rules.found
        assert contact.reference is not None and contact.versus(contact.reference, view.card).extra == []
        assert contact.versus(contact.reference, view.card).missed == ["confirm"]
    page = text_of(lead.get(f"/level3/tasks/{task_id}"))
    assert "The rules' findings" in page and "The trainer's reference scoring" in page

    # nothing changes after submission
    assert "submitted for assessment" in said(
        lead,
        lead.post(f"/level3/tasks/{task_id}/score", data={"item": SAMPLE, "met": [], "auto_fail": [], "feedback": "x"}),
    )

    # the assessor signs it off against the criteria the task evidences
    assessor = signed_in(app, "assessor1")
    assert "give each criterion a status" in said(
        assessor, assessor.post(f"/level3/tasks/{task_id}/sign", data={"outcome": "competent", "feedback": "Good."})
    )
    said(
        assessor,
        assessor.post(
            f"/level3/tasks/{task_id}/sign",
            data={
                "outcome": "competent",
                "feedback": "Found the ID&V breach; look for missing notes too.",
                "criterion-icq3-review-contacts": "met",
                "criterion-icq3-compliance": "met",
            },
        ),
    )

    # the learner's scores, feedback and the comparison are evidence on their record
    record = text_of(assessor.get(f"/reports/learners/{team['lead']}"))
    assert "Level 3 work" in record and "scored 0%" in record
    assert (
        "never read the date of birth out" in record
        and "Missed Records accurate, contemporaneous notes and the right outcome code." in record
    )
    assert "Signed off by assessor1" in record and "REV1 Met" in record

    # withdrawing the opt-in hides the contact from the task at once, and from any new offer
    said(agent, agent.post("/level3/consent", data={"give": "no"}))
    page = text_of(lead.get(f"/level3/tasks/{task_id}"))
    assert "withdrew their opt-in" in page and "[agent] speaking" not in page
    with app.app_context():
        assert reviewable_contacts(cohort_id, team["lead"]) == []


def test_a_level_2_learner_gets_no_review_task_and_a_live_contact_is_never_offered(app, team, make_user, contact_of):
    trainer = signed_in(app, "trainer1")
    agent = signed_in(app, "agent1")
    said(agent, agent.post("/level3/consent", data={"give": "yes"}))
    with app.app_context():
        cohort_id = db.session.get(User, team["lead"]).cohort_id
    msg = said(
        trainer,
        trainer.post(
            f"/level3/cohorts/{cohort_id}/assign",
            data={
                "learner": team["quiet"],
                "kind": "quality_review",
                "scorecard": "contact-quality",
                "items": [SAMPLE],
            },
        ),
    )
    assert "has no criterion that quality review of contacts evidences" in msg
    live = make_user("live1", queue=["change-of-address"])
    said(signed_in(app, "live1"), signed_in(app, "live1").post("/level3/consent", data={"give": "yes"}))
    cid = contact_of(live, "change-of-address")
    with app.app_context():
        open_contact(db.session.get(Contact, cid), db.session.get(User, live))
        assert cid not in {c.id for c in reviewable_contacts(cohort_id, team["lead"])}
    msg = said(
        trainer,
        trainer.post(
            f"/level3/cohorts/{cohort_id}/assign",
            data={
                "learner": team["lead"],
                "kind": "quality_review",
                "scorecard": "contact-quality",
                "items": [f"contact:{cid}"],
            },
        ),
    )
    assert "still live" in msg
    assert trainer.post(f"/level3/cohorts/{cohort_id}/assign", data={"kind": "nonsense"}).status_code == 303
    assert "Choose a task" in said(trainer, trainer.post(f"/level3/cohorts/{cohort_id}/assign", data={"kind": "x"}))


def test_names_the_record_does_not_hold_are_removed_too():
    """A third party's name from the scenario, details given on the contact, and anything shaped like
    personal data: all replaced by labels in what a reviewer reads."""
    from crm_sandbox.queries.level3.names import scenario_names
    from crm_sandbox.queries.level3.redact import transcript

    doc = {
        "customer": {"full_name": "Ann Smith", "first_name": "Ann", "last_name": "Smith", "postcode": "LS1 4AP"},
        "events": [
            {
                "at": "2026-01-01T10:00:00Z",
                "actor": "caller",
                "type": "message.received",
                "data": {"text": "I'm Robin Smith, calling for Ann. Ring me on 07700 900123 or robin@example.com."},
            },
            {
                "at": "2026-01-01T10:01:00Z",
                "actor": "learner",
                "type": "record.updated",
                "data": {"field": "address_line1", "value": "12 Elm Walk"},
            },
            {
                "at": "2026-01-01T10:02:00Z",
                "actor": "learner",
                "type": "message.sent",
                "data": {"text": "Thanks Robin, jdoe here. Your card 4111 1111 1111 1111 and sort code 99-12-34?"},
            },
        ],
    }
    names = scenario_names({"facts": {"caller_first_name": "Robin", "away_until": "Friday"}})
    assert names == ["Robin"]
    text = " ".join(f"{line.what} {line.text}" for line in transcript(doc, ["jdoe"], names))
    for secret in ("Robin", "Smith", "Ann", "07700", "robin@", "Elm Walk", "4111", "99-12-34"):
        assert secret not in text, secret
    assert "I'm [name] [name], calling for [name]." in text and "[agent] here" in text and "[address]" in text


def test_the_reviewer_never_reads_the_other_learners_assessment_or_its_quality_assurance():
    """Only what the agent, the customer and the system did: no reopening reason, no IQA verdict, no
    countersignature, no assessor's observation (the other learner's own assessment stays private)."""
    from crm_sandbox.queries.level3.redact import transcript

    def event(minute: int, actor: str, etype: str, data: dict) -> dict:
        return {"at": f"2026-01-01T10:{minute:02d}:00Z", "actor": actor, "type": etype, "data": data}

    doc = {
        "customer": {"full_name": "Ann Smith"},
        "events": [
            event(0, "caller", "message.received", {"text": "Hello, it's about my statement."}),
            event(1, "learner", "message.sent", {"text": "Happy to help."}),
            event(2, "assessor", "observation.added", {"text": "Good opening."}),
            event(3, "assessor", "assessment.signed", {"version": 1, "outcome": "competent"}),
            event(
                4,
                "assessor",
                "assessment.reopened",
                {"version": 1, "reason": "Failed DPA: balance before ID&V", "by": "a1"},
            ),
            event(5, "iqa", "iqa.verdict", {"version": 2, "verdict": "disagree", "by": "iqa1"}),
            event(6, "assessor", "assessment.countersigned", {"version": 2, "by": "senior"}),
        ],
    }
    lines = transcript(doc, ["jdoe"])
    assert [line.who for line in lines] == ["Customer", "Agent"]
    text = " ".join(f"{line.what} {line.text}" for line in lines)
    for private in ("DPA", "IQA", "countersigned", "Good opening", "competent", "reopened"):
        assert private not in text, private
