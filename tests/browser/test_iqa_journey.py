"""A real browser, two people: an IQA opens the cohort's sampling plan, samples a signed-off review and
records a disagreement with the action required and a deadline; the assessor reads it on their Quality
page and answers; the IQA sees the answer with the verdict.

Two browser contexts at 1366x768; every wait is an explicit ``expect``. The contact is played and signed
off through the services (the desk's browser journeys are tested elsewhere).
"""

from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from crm_sandbox.database import write_transaction
from crm_sandbox.extensions import db
from crm_sandbox.models import Contact, User
from crm_sandbox.operations.cohorts.accounts import create_user
from crm_sandbox.operations.desk import conversation, lifecycle
from tests.browser.conftest import PASSWORD
from tests.browser.helpers import shot
from tests.browser.test_assessor_journey import person
from tests.reporting import decide_and_sign, observed_assessment

ACTION = "Reopen the review and judge verify-identity as not yet met."
ANSWER = "Agreed: reopened, and I have talked it through with the learner."


def signed_off_contact(app) -> dict:
    """learner1's balance enquiry, played and closed, signed off by assessor1; an IQA for the cohort."""
    with app.app_context():
        learner = db.session.execute(select(User).where(User.username == "learner1")).scalar_one()
        contact = db.session.execute(
            select(Contact).where(Contact.learner_id == learner.id, Contact.scenario_id == "balance-enquiry")
        ).scalar_one()
        cid, cohort = contact.id, learner.cohort
        with write_transaction():
            create_user("iqa1", PASSWORD, "iqa", cohort=cohort)
    observed_assessment(app, cid)
    with app.app_context():
        contact = db.session.get(Contact, cid)
        learner = contact.learner
        lifecycle.open_contact(contact, learner)
        conversation.send_message(contact, learner, "Hello, thanks for calling. How can I help?")
        lifecycle.close_contact(contact, learner, "resolved", "yes")
        assessor = db.session.execute(select(User).where(User.username == "assessor1")).scalar_one()
        decide_and_sign(db.session.get(Contact, cid), assessor, outcome="competent")
        return {"id": cid, "title": contact.title, "cohort": contact.cohort_id}


def test_iqa_samples_a_review_records_a_disagreement_and_the_assessor_answers(browser, live_app):
    facts = signed_off_contact(live_app)
    iqa_context, iqa = person(browser, live_app, "iqa1")
    assessor_context, assessor = person(browser, live_app, "assessor1")
    try:
        # The IQA lands on their cohorts, opens the plan: the review is in it (every assessor is sampled).
        expect(iqa.get_by_role("heading", name="Quality assurance")).to_be_visible()
        iqa.get_by_role("link", name="Sampling plan").click()
        expect(iqa.get_by_role("heading", name="Coverage against targets")).to_be_visible()
        expect(iqa.locator("#sample")).to_contain_text("assessor1's share")
        shot(iqa, "iqa-plan")
        iqa.locator("#sample").get_by_role("link", name="Open").first.click()
        expect(iqa.get_by_role("heading", name="The decision")).to_be_visible()
        expect(iqa.locator("h1")).to_contain_text(facts["title"])

        # A disagreement: the action required and a deadline.
        form = iqa.locator("#verdict-form")
        form.get_by_label("Disagree: action required").check()
        form.get_by_label("Comment (required to disagree)").fill("Competent, but ID&V was never completed.")
        form.get_by_label("Action required (when you disagree)").fill(ACTION)
        form.get_by_label("Deadline (when you disagree)").fill((date.today() + timedelta(days=14)).isoformat())
        form.get_by_role("button", name="Record verdict").click()
        expect(iqa.locator(".flash-success")).to_contain_text("Verdict recorded")
        expect(iqa.locator("article.card").first).to_contain_text(ACTION)
        expect(iqa.locator("article.card").first).to_contain_text("Not answered yet.")
        shot(iqa, "iqa-verdict")

        # The assessor sees it on their Quality page and answers.
        assessor.get_by_role("link", name="Quality", exact=True).click()
        verdict = assessor.locator("article.card").first
        expect(verdict).to_contain_text("Disagree: action required")
        expect(verdict).to_contain_text(ACTION)
        verdict.get_by_label("Your answer").fill(ANSWER)
        verdict.get_by_role("button", name="Send answer").click()
        expect(assessor.locator(".flash-success")).to_contain_text("Answer recorded")
        expect(assessor.locator("article.card").first).to_contain_text(ANSWER)

        # The IQA reads the answer with the verdict.
        iqa.reload()
        expect(iqa.locator("article.card").first).to_contain_text(ANSWER)
    finally:
        iqa_context.close()
        assessor_context.close()
