"""What a Level 3 reviewer may read of other learners, and what the reviewed agent gets back: the cohort's
own complaints only from learners opted in now, never the reviewer's own, scrubbed of every name known to
the contact; a withdrawal of opt-in between the page and the write refuses the score; the reviewer's
coaching feedback reaches the agent reviewed (only theirs, only once submitted)."""

from crm_sandbox.database import write_transaction
from crm_sandbox.events.registry import QUALITY_SCORED
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, Level3Event, Level3Task, User
from crm_sandbox.operations.desk.actions import raise_complaint
from crm_sandbox.operations.desk.lifecycle import close_contact, open_contact
from crm_sandbox.operations.level3 import quality
from crm_sandbox.operations.level3.consent import set_review_consent
from crm_sandbox.operations.level3.tasks import assign_task, submit_task
from crm_sandbox.queries.level3.complaints import complaints_for
from crm_sandbox.queries.level3.redact import scrub
from tests.helpers import signed_in
from tests.test_level3_quality import SAMPLE, said, team, text_of  # noqa: F401 (the fixture)

SPOUSE = "third-party-spouse"


def _name(app, user_id: int, display: str) -> None:
    with app.app_context(), write_transaction():
        db.session.get(User, user_id).display_name = display


def _complain(app, user_id: int, contact_id: int, summary: str) -> None:
    with app.app_context():
        contact, user = db.session.get(Contact, contact_id), db.session.get(User, user_id)
        open_contact(contact, user)
        raise_complaint(db.session.get(Contact, contact_id), db.session.get(User, user_id), summary, "", "", False)
        close_contact(db.session.get(Contact, contact_id), db.session.get(User, user_id), "complaint-raised", "no")


def _consent(app, user_id: int, give: bool) -> None:
    with app.app_context():
        set_review_consent(db.session.get(User, user_id), give)


def test_cohort_complaints_respect_opt_in_exclude_the_reviewer_and_lose_every_known_name(
    app, make_user, contact_of, cohort
):
    lead, agent, quiet = (make_user(n, queue=[SPOUSE]) for n in ("lead1", "agent1", "quiet1"))
    staff = make_user("trainer1", "trainer", in_cohort=False)
    _name(app, agent, "Priya Raman")
    _name(app, staff, "Gwendolyn Tolley")
    contacts = {u: contact_of(u, SPOUSE) for u in (lead, agent, quiet)}
    with app.app_context():
        holder = db.session.get(Contact, contacts[agent]).customer
        first, last = holder.first_name, holder.last_name
    _complain(app, lead, contacts[lead], "The reviewer's own complaint")
    _complain(
        app,
        agent,
        contacts[agent],
        f"Robin {last} is cross that {first} was refused; Priya told them Gwendolyn (trainer1) would call back.",
    )
    _complain(app, quiet, contacts[quiet], "A complaint from a learner never opted in")
    _consent(app, lead, True)

    def own() -> list:
        with app.app_context():
            return [c for c in complaints_for(cohort, lead) if c.ref.startswith("own-")]

    assert own() == []  # the agent has not opted in; the reviewer's own is never offered
    _consent(app, agent, True)
    (found,) = own()
    assert found.ref.startswith(f"own-{contacts[agent]}-")
    for secret in ("Robin", last, first, "Priya", "Gwendolyn", "trainer1"):
        assert secret not in found.summary, secret
    assert "[staff]" in found.summary and "[agent]" in found.summary
    _consent(app, agent, False)
    assert own() == []  # withdrawn: gone at once


def test_names_are_removed_as_whole_words_only_and_never_inside_a_label():
    secrets = [("Ann", "[name]"), ("name", "[staff]")]
    assert scrub("Ann paid her annual fee; ANN's name", secrets) == "[name] paid her annual fee; [name]'s [staff]"
    # a staff member's first name that is also a word goes only in its own case: "Will", not "will"
    assert scrub("Will said he will call", [("Will", "[staff]")], {"Will"}) == "[staff] said he will call"


def _quality_task(app, team) -> int:
    with app.app_context():
        task = assign_task(
            db.session.get(User, team["trainer"]),
            db.session.get(User, team["lead"]),
            "quality_review",
            [SAMPLE, f"contact:{team['agent_contact']}"],
            "contact-quality",
        )
        return task.id


def test_a_withdrawal_between_the_check_and_the_write_refuses_the_score(app, team, monkeypatch):  # noqa: F811
    _consent(app, team["agent"], True)
    task_id = _quality_task(app, team)
    real = quality.check_text

    def withdraw_meanwhile(text: str, *args) -> str:  # runs after the page's check, before the write
        _consent(app, team["agent"], False)
        return real(text, *args)

    monkeypatch.setattr(quality, "check_text", withdraw_meanwhile)
    lead = signed_in(app, "lead1")
    msg = said(
        lead,
        lead.post(
            f"/level3/tasks/{task_id}/score",
            data={"item": f"contact:{team['agent_contact']}", "met": ["greeting"], "feedback": "Good opening."},
        ),
    )
    assert "withdrew their opt-in" in msg
    with app.app_context():
        assert db.session.query(Level3Event).filter_by(type=QUALITY_SCORED).count() == 0


def test_the_agent_reviewed_reads_the_coaching_feedback_once_submitted(app, team):  # noqa: F811
    _consent(app, team["agent"], True)
    task_id = _quality_task(app, team)
    lead, agent, quiet = signed_in(app, "lead1"), signed_in(app, "agent1"), signed_in(app, "quiet1")
    for item, note in ((SAMPLE, "SAMPLE-ONLY advice"), (f"contact:{team['agent_contact']}", "Warm greeting, TEAMNOTE")):
        said(
            lead,
            lead.post(f"/level3/tasks/{task_id}/score", data={"item": item, "met": ["greeting"], "feedback": note}),
        )
    assert "TEAMNOTE" not in text_of(agent.get("/level3/"))  # not before the review is submitted
    with app.app_context():
        submit_task(db.session.get(Level3Task, task_id), db.session.get(User, team["lead"]))
    page = text_of(agent.get("/level3/"))
    assert "Coaching feedback on your contacts" in page and "Warm greeting, TEAMNOTE" in page
    assert "SAMPLE-ONLY" not in page and "lead1" not in page  # only feedback on their contact; reviewer unnamed
    for other in (quiet, lead):
        assert "TEAMNOTE" not in text_of(other.get("/level3/"))


def test_a_namesakes_details_read_out_on_the_contact_are_removed_too(app, make_user, contact_of):
    """Details only a namesake's record holds (their town, memorable word), read out on the contact after
    a careless search opened that record, are removed from the reviewer's transcript."""
    from sqlalchemy import select

    from crm_sandbox.models import Customer
    from crm_sandbox.queries.level3.names import contact_secrets, person_names
    from crm_sandbox.queries.level3.redact import transcript
    from crm_sandbox.queries.session_export import session_document
    from tests.test_level3_quality import closed_contact

    agent = make_user("agent1", queue=["change-of-address"])
    cid = contact_of(agent, "change-of-address")
    with app.app_context():
        own = db.session.get(Contact, cid).customer
        (twin,) = [
            c
            for c in db.session.execute(select(Customer).where(Customer.learner_id == agent, Customer.id != own.id))
            .scalars()
            .all()
            if (c.first_name, c.last_name) == (own.first_name, own.last_name)
        ]
        town, word = twin.town, twin.memorable_word
    assert town and word and town != own.town
    closed_contact(app, agent, cid, f"I see you live in {town}, and your memorable word is {word}.")
    with app.app_context():
        contact = db.session.get(Contact, cid)
        doc = session_document(contact)
        known, exact = contact_secrets(contact, doc)
        text = " ".join(line.text for line in transcript(doc, [], known=known, exact=exact))
        assert "I see you live in [town], and your memorable word is [memorable word]." in text
        plain = " ".join(line.text for line in transcript(doc, person_names(contact.learner)))
        assert town in plain  # what the customer's own record alone would have left
