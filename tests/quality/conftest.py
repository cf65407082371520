"""A seeded cohort for quality assurance: three learners, three assessors (one established, one newly
qualified, one trainee), a qualified second assessor and an IQA; six observed assessments signed off."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import AccountStanding, Contact, User, utcnow
from crm_sandbox.operations import review as review_service
from crm_sandbox.queries.review import contact_review
from tests.reporting import COMPETENT_DESPITE, decide_and_sign, observed_assessment, play_change_of_address


def user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def set_standing(app, user_id: int, status: str | None = None, qualified_on=None, expires_at=None) -> None:
    with app.app_context(), write_transaction():
        row = db.session.get(AccountStanding, user_id) or AccountStanding(user_id=user_id)
        row.assessor_status, row.qualified_on, row.expires_at = status, qualified_on, expires_at
        db.session.add(row)


def play_quickly(client, cid: int) -> None:
    base = f"/learner/contacts/{cid}"
    client.post(f"{base}/open")
    client.post(f"{base}/messages", data={"text": "Hello, how can I help today?"})
    client.post(f"{base}/close", data={"outcome": "resolved", "resolved": "yes"})


def dismiss_high_and_sign(contact: Contact, assessor: User, outcome: str = "not_yet_competent") -> None:
    """Dismiss every high-severity finding (with a reason), confirm the rest, then sign off."""
    rv = contact_review(contact)
    for f in rv.findings:
        if f.decision is None:
            decision = "dismissed" if f.severity == "high" else "confirmed"
            review_service.decide_finding(f, assessor, decision, "Not a breach in my view.", len(f.decisions))
    decide_and_sign(contact, assessor, outcome=outcome)


@pytest.fixture
def qa(app, client, make_user, login, contact_of):
    """The cohort. Returns ids: learners, assessors, contacts by name."""
    ids = {name: make_user(name, "assessor") for name in ("established", "newbie", "trainee", "senior")}
    ids["iqa"] = make_user("iqa1", "iqa")
    set_standing(app, ids["established"], "qualified", date(2015, 5, 1))
    set_standing(app, ids["newbie"], "qualified", date.today() - timedelta(days=60))
    set_standing(app, ids["trainee"], "trainee")
    set_standing(app, ids["senior"], "qualified", date(2010, 1, 1))
    contacts = {}
    for n, assessor in enumerate(("established", "newbie", "trainee"), start=1):
        learner = make_user(f"learner{n}", queue=["change-of-address", "balance-enquiry"])
        login(f"learner{n}")
        for scenario in ("change-of-address", "balance-enquiry"):
            cid = contact_of(learner, scenario)
            observed_assessment(app, cid, assessor)
            (play_change_of_address if scenario == "change-of-address" else lambda a, c, i: play_quickly(c, i))(
                app, client, cid
            )
            contacts[f"{assessor}:{scenario}"] = cid
        client.post("/auth/logout")
    with app.app_context():
        get = lambda name: db.session.get(Contact, contacts[name])  # noqa: E731
        for name, cid in contacts.items():  # every review judges ID&V, so the unit is evidenced
            review_service.judge_criterion(
                get(name), user(name.split(":")[0]), "verify-identity", "not_met", "ID&V was not completed."
            )
        # competent despite a confirmed high-severity finding: an override
        decide_and_sign(get("established:change-of-address"), user("established"), outcome="competent")
        decide_and_sign(get("established:balance-enquiry"), user("established"), outcome="not_yet_competent")
        dismiss_high_and_sign(get("newbie:change-of-address"), user("newbie"))  # a dismissed high finding
        decide_and_sign(get("newbie:balance-enquiry"), user("newbie"), outcome="not_yet_competent")
        decide_and_sign(get("trainee:change-of-address"), user("trainee"), outcome="not_yet_competent")
        decide_and_sign(get("trainee:balance-enquiry"), user("trainee"), outcome="not_yet_competent")
    ids["contacts"] = contacts
    ids["override_reason"] = COMPETENT_DESPITE
    ids["now"] = utcnow()
    return ids
